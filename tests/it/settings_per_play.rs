//! One `ExecutionSession` built on app-cli's configuration factory, with real processes: the
//! file is read again at every play, so an edit between two plays changes the second run, and
//! a file that no longer validates refuses that play (in the CLI's one line) and nothing else.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use app_cli::config::Overrides;
use app_cli::ports_factory::ConfigPortsFactory;
use app_cli::run_settings::SettingsSource;
use session_domain::{Event, RunGoal, RunNumber, SessionState, Severity, Source};
use session_ports::{
    Clock, ExecutionSession, PlayOutcome, Ports, ServiceSettings, SubscriptionItem, SystemClock,
};

const PATIENCE: Duration = Duration::from_secs(30);

/// A configuration whose build step says `words`, and which writes the manifest itself.
fn config(words: &str) -> String {
    format!(
        r#"[shipper]
build = ["sh", "-c", "echo {words}"]
pack-validation = ["true"]
pack = ["true"]

[cartridge]
app_id = 7
title = "Per Play"
app_version = "1.0.0"
app_mode = "Game"
entrypoint = "main"
"#
    )
}

async fn prepare(session: &ExecutionSession, run: RunNumber) {
    let played = tokio::time::timeout(PATIENCE, session.play(RunGoal::Prepare.into()))
        .await
        .expect("play answers");
    assert_eq!(played, Ok(PlayOutcome::Started { run }));
    let end = tokio::time::timeout(PATIENCE, session.settled())
        .await
        .expect("the run ends");
    assert_eq!((end.state, end.run), (SessionState::Prepared, run));
}

/// `(run, message)` of every log line from `source` (and at `severity`, when given).
fn lines(events: &[Event], source: Source, severity: Option<Severity>) -> Vec<(RunNumber, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Log(log)
                if log.source == source && severity.is_none_or(|s| log.severity == s) =>
            {
                Some((log.run, log.message.clone()))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_play_reads_the_file_again_and_an_invalid_file_refuses_only_that_play() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("prometeu-session.toml");
    let write = |text: &str| std::fs::write(&file, text).expect("write the configuration");
    write(&config("first build"));
    let source = SettingsSource {
        project_root: dir.path().to_owned(),
        config_path: file.clone(),
        overrides: Overrides::default(),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let factory = Arc::new(ConfigPortsFactory::new(source, Arc::clone(&clock)));
    let session = ExecutionSession::start(
        Ports { factory, clock },
        Vec::new(),
        ServiceSettings::default(),
    );
    let mut subscription = session.subscribe(0);

    prepare(&session, 1).await;
    write(&config("second build"));
    prepare(&session, 2).await;

    write(&config("third build").replace("[shipper]", "[runtime]\nmode = \"fast\"\n[shipper]"));
    let refused = session.play(RunGoal::Prepare.into()).await;
    let expected = format!(
        "{}: [runtime] mode: found \"fast\" (a string), expected \"run\" or \"debug\"",
        file.display()
    );
    let Ok(PlayOutcome::Refused { reason }) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert_eq!(reason.message(), expected);
    let snapshot = session.snapshot();
    assert_eq!((snapshot.state, snapshot.run), (SessionState::Prepared, 2));

    write(&config("third build"));
    prepare(&session, 3).await;

    session.shutdown().await;
    let mut events = Vec::new();
    while let Some(item) = subscription.next().await {
        match item {
            SubscriptionItem::Event(event) => events.push(event.view().to_owned_event()),
            SubscriptionItem::Missed { count } => panic!("missed {count} events"),
        }
    }
    let built: Vec<(RunNumber, String)> = lines(&events, Source::Build, None);
    assert_eq!(
        built,
        [(1, "first build"), (2, "second build"), (3, "third build")]
            .map(|(run, message)| (run, message.to_owned()))
    );
    assert_eq!(
        lines(&events, Source::Session, Some(Severity::Error)),
        [(2, expected)]
    );
    assert!(Path::new(&dir.path().join("build/manifest.json")).is_file());
}
