//! Stands in for `prometeu-session`'s `main` in the one respect that is process-wide: it makes
//! itself a child subreaper (Linux) before it spawns anything, then runs one fake runtime
//! through the runtime adapter, so that a test can check what happens to a grandchild that
//! left the runtime's process group with `setsid`. One run per process, as the brief asks.
//!
//! Usage: `subreaper-harness <fake-runtime> <project-dir> <pid-file> <inherit|null|group|none> <exit|stop|abandon>`
//! - `inherit` / `null`: whether the setsid grandchild holds the runtime's output pipes;
//!   `group`: a grandchild that stays in the runtime's group (not holding the pipes);
//!   `none`: no grandchild;
//! - `exit`: the runtime exits 0 on its own; `stop`: it runs until the harness stops it;
//!   `abandon`: the harness exits at once while the runtime runs, as a session that dies
//!   would (the runtime must die with it).
//!
//! Prints `subreaper=<bool>`, `ready=<debug>`, one `line=<source>\t<message>` per event and
//! finally `end=<debug>`, then exits 0.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use adapter_process::{ProcessTiming, become_subreaper};
use adapter_runtime::{Runtime, RuntimeSettings};
use session_domain::RunMode;
use session_ports::{PortOutput, RuntimeSource, SystemClock, output_channel};

fn main() {
    let subreaper = become_subreaper();
    println!("subreaper={}", matches!(subreaper, Ok(true)));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [fake, project, pid_file, stdio, ending] = args.as_slice() else {
        eprintln!(
            "usage: subreaper-harness <fake-runtime> <project-dir> <pid-file> <inherit|null|group|none> <exit|stop|abandon>"
        );
        std::process::exit(64);
    };
    let mut env = BTreeMap::from([
        ("FAKE_RT_PID_FILE".to_owned(), pid_file.clone()),
        (
            "FAKE_RT_RUN_FOR".to_owned(),
            if ending == "exit" { "0" } else { "forever" }.to_owned(),
        ),
    ]);
    if stdio == "group" {
        env.insert("FAKE_RT_GRANDCHILD".to_owned(), "group".to_owned());
        env.insert("FAKE_RT_GRANDCHILD_STDIO".to_owned(), "null".to_owned());
    } else if stdio != "none" {
        env.insert("FAKE_RT_GRANDCHILD".to_owned(), "setsid".to_owned());
        env.insert("FAKE_RT_GRANDCHILD_STDIO".to_owned(), stdio.clone());
    }
    let settings = RuntimeSettings {
        project_root: PathBuf::from(project),
        program: PathBuf::from(fake),
        mode: RunMode::Run,
        debug_address: "127.0.0.1:7777".parse().expect("a valid address"),
        handshake_timeout: Duration::from_secs(10),
        env,
        timing: ProcessTiming {
            stop_grace: Duration::from_secs(5),
            pipe_grace: Duration::from_millis(100),
            max_line: NonZeroUsize::new(65_536).expect("positive"),
        },
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async move {
        let source = Runtime::new(settings, Arc::new(SystemClock));
        let (output, mut batches) = output_channel(16);
        let (up_tx, up_rx) = tokio::sync::oneshot::channel();
        let collector = tokio::spawn(async move {
            let mut up_tx = Some(up_tx);
            while let Some(output) = batches.recv().await {
                let PortOutput::Lines(batch) = output else {
                    continue;
                };
                for (meta, message) in batch.iter() {
                    println!("line={}\t{message}", meta.source);
                    if message == "fake-runtime: ready" {
                        if let Some(up) = up_tx.take() {
                            let _ = up.send(());
                        }
                    }
                }
            }
        });
        let handle = source.launch(1, output).await;
        let ready = handle.ready().await;
        println!("ready={ready:?}");
        if ready.is_ok() && ending == "stop" {
            // Stop only once the grandchild exists, or there would be nothing to test.
            let _ = up_rx.await;
            handle.stop();
        } else if ready.is_ok() && ending == "abandon" {
            let _ = up_rx.await;
            println!("abandoning");
            // No stop, no reaping, no unwinding: only the kernel can end the runtime now.
            std::process::exit(0);
        }
        let end = handle.wait().await;
        drop(handle);
        drop(source);
        let _ = collector.await;
        println!("end={end:?}");
    });
}
