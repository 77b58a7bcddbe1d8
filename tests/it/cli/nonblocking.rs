//! A stdout left non-blocking by whoever started us, with little room in its pipe.

use std::io::Read;
use std::process::{Command, Stdio};

use super::support::{PATIENCE, Project, Setup};

/// `prepare` showing only its two state lines, whose bytes do not vary between runs.
fn prepare_quietly(project: &Project) -> Command {
    project.command(
        "prepare",
        &[
            "--color",
            "never",
            "--source",
            "manifest",
            "--min-severity",
            "error",
        ],
    )
}

/// Threads of `pid` waiting in `poll`.
fn threads_in_poll(pid: u32) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("wchan"))
                .is_ok_and(|wchan| wchan.contains("poll_schedule"))
        })
        .count()
}

#[test]
fn the_summary_waits_for_room_on_a_non_blocking_stdout() {
    let project = Project::new(&Setup {
        cartridge: true,
        ..Setup::default()
    });
    let first = prepare_quietly(&project).output().expect("run");
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    let summary = text.lines().last().expect("a summary").len() + 1;
    let events = first.stdout.len() - summary;
    assert!(summary > 20, "{text}");

    // A one-page pipe holding junk, so that the events fit and the summary does not.
    let (read_end, write_end) = rustix::pipe::pipe().expect("pipe");
    let size = rustix::pipe::fcntl_setpipe_size(&write_end, 4096).expect("F_SETPIPE_SZ");
    assert_eq!(size, 4096);
    let junk = vec![b'#'; 4096 - events - 10];
    let mut writer = std::fs::File::from(write_end.try_clone().expect("dup"));
    std::io::Write::write_all(&mut writer, &junk).expect("fill the pipe");
    drop(writer);
    // O_NONBLOCK is on the open file description, shared with the child's copy.
    let flags = rustix::fs::fcntl_getfl(&write_end).expect("F_GETFL");
    rustix::fs::fcntl_setfl(&write_end, flags | rustix::fs::OFlags::NONBLOCK).expect("F_SETFL");
    let mut child = prepare_quietly(&project)
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");

    // Wait until it has ended, or waits for room (the stdout watcher always sits in poll).
    let deadline = std::time::Instant::now() + PATIENCE;
    while child.try_wait().expect("try_wait").is_none() && threads_in_poll(child.id()) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "neither ended nor waited"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut shown = Vec::new();
    std::fs::File::from(read_end)
        .read_to_end(&mut shown)
        .expect("read stdout");
    let status = child.wait().expect("wait");
    let shown = String::from_utf8_lossy(&shown[junk.len()..]).into_owned();
    assert_eq!(status.code(), Some(0));
    assert!(
        shown
            .lines()
            .last()
            .is_some_and(|line| line.starts_with("══ prepared")),
        "the summary is lost:\n{shown}"
    );
}
