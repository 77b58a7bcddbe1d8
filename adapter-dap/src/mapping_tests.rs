//! The mapping from session items to DAP event bodies, as a table: items written as the
//! session's canonical JSON, bodies written in a compact form.

use rstest::rstest;
use session_domain::Event;

use crate::mapping::{Item, Progress, RunMapping};
use crate::protocol::{EventBody, Group, StartMethod};

/// Owned events from JSON fragments (without `seq`, `run` and `at`, which are filled in;
/// `"run":N` in a fragment overrides the run).
pub(crate) fn events(fragments: &[&str]) -> Vec<Event> {
    fragments
        .iter()
        .enumerate()
        .map(|(index, fragment)| {
            let run = if fragment.contains("\"run\":") {
                String::new()
            } else {
                "\"run\":1,".to_owned()
            };
            let json = format!(
                "{{\"seq\":{},{run}\"at\":\"2026-04-06T10:00:00.000000000Z\",{fragment}}}",
                index + 1
            );
            serde_json::from_str(&json).unwrap_or_else(|error| panic!("{json}: {error}"))
        })
        .collect()
}

/// `stdout "a\nb\n"`, `console[startCollapsed] "build\n"`, `process 42 launch`, `exited 3`.
pub(crate) fn render(body: &EventBody) -> String {
    match body {
        EventBody::Initialized => "initialized".to_owned(),
        EventBody::Terminated => "terminated".to_owned(),
        EventBody::Output(output) => {
            let category = serde_json::to_value(output.category).expect("a category");
            let category = category.as_str().expect("a string");
            let group = match output.group {
                None => String::new(),
                Some(Group::StartCollapsed) => "[startCollapsed]".to_owned(),
                Some(Group::End) => "[end]".to_owned(),
            };
            format!("{category}{group} {:?}", output.output)
        }
        EventBody::Process(process) => format!(
            "process {} {} {:?}",
            process.name, process.system_process_id, process.start_method
        ),
        EventBody::Exited(exited) => format!("exited {}", exited.exit_code),
    }
}

const PREPARING: &str =
    r#""kind":"state","from":"idle","to":"preparing","reason":"play requested""#;
const BUILD_STARTED: &str =
    r#""kind":"step","step":"build","phase":"started","command":["tool","build"],"pid":10"#;
const BUILD_OUT: &str =
    r#""kind":"log","source":"build","severity":"info","stream":"stdout","message":"compiling""#;
const BUILD_ERR: &str =
    r#""kind":"log","source":"build","severity":"info","stream":"stderr","message":"checking""#;
const BUILD_FINISHED: &str = r#""kind":"log","source":"session","severity":"info","message":"build finished: exit 0 in 2 ms""#;
const BUILD_ENDED: &str = r#""kind":"step","step":"build","phase":"ended","duration_ms":2,"outcome":"succeeded","exit_code":0"#;
const MANIFEST_STARTED: &str = r#""kind":"step","step":"manifest","phase":"started""#;
const MANIFEST_ENDED: &str =
    r#""kind":"step","step":"manifest","phase":"ended","duration_ms":1,"outcome":"succeeded""#;
const CONNECTING: &str =
    r#""kind":"state","from":"preparing","to":"connecting","reason":"preparation succeeded""#;
const RUNTIME_STARTED: &str = r#""kind":"step","step":"runtime","phase":"started","command":["/bin/rt","run","build"],"pid":42"#;
const RUNNING: &str =
    r#""kind":"state","from":"connecting","to":"running","reason":"runtime running (pid 42)""#;
const RT_OUT_1: &str =
    r#""kind":"log","source":"runtime","severity":"info","stream":"stdout","message":"frame 1""#;
const RT_OUT_2: &str =
    r#""kind":"log","source":"runtime","severity":"info","stream":"stdout","message":"frame 2""#;
const RT_ERR: &str =
    r#""kind":"log","source":"runtime","severity":"warn","stream":"stderr","message":"slow frame""#;
const RT_DEVTOOLS: &str =
    r#""kind":"log","source":"runtime","severity":"info","stream":"devtools","message":"{}""#;

#[rstest]
#[case::a_run_that_exits_0(
    &[PREPARING, BUILD_STARTED, BUILD_OUT, BUILD_ERR, BUILD_FINISHED, BUILD_ENDED, MANIFEST_STARTED, MANIFEST_ENDED,
      CONNECTING, RUNTIME_STARTED, RUNNING, RT_OUT_1, RT_OUT_2, RT_ERR, RT_DEVTOOLS,
      r#""kind":"step","step":"runtime","phase":"ended","duration_ms":1500,"outcome":"succeeded","exit_code":0"#,
      r#""kind":"state","from":"running","to":"stopped","reason":"the runtime exited 0""#],
    &[r#"console "── preparing ─ play requested\n""#,
      r#"console[startCollapsed] "build\n""#,
      r#"console "compiling\nchecking\nbuild finished: exit 0 in 2 ms\n""#,
      r#"console[end] "build succeeded: exit 0 in 2 ms\n""#,
      r#"console[startCollapsed] "manifest\n""#,
      r#"console[end] "manifest succeeded in 1 ms\n""#,
      r#"console "── connecting ─ preparation succeeded\n""#,
      "process /bin/rt 42 Launch",
      r#"console "── running ─ runtime running (pid 42)\n""#,
      r#"stdout "frame 1\nframe 2\n""#,
      r#"stderr "slow frame\n""#,
      r#"console "{}\n""#,
      "exited 0",
      r#"console "── stopped ─ the runtime exited 0\n""#],
    Some("stopped"),
)]
#[case::a_failing_step_has_no_process_and_no_exit(
    &[PREPARING, BUILD_STARTED,
      r#""kind":"log","source":"session","severity":"error","message":"build failed: exit 2 in 3 ms""#,
      r#""kind":"step","step":"build","phase":"ended","duration_ms":3,"outcome":"failed","exit_code":2"#,
      r#""kind":"state","from":"preparing","to":"prepare_failed","reason":"build failed: `tool build` exited with code 2","failure":{"stage":"build","exit_code":2}"#],
    &[r#"console "── preparing ─ play requested\n""#,
      r#"console[startCollapsed] "build\n""#,
      r#"console "build failed: exit 2 in 3 ms\n""#,
      r#"console[end] "build failed: exit 2 in 3 ms\n""#,
      r#"important "build failed: `tool build` exited with code 2\n""#],
    Some("prepare_failed"),
)]
#[case::a_runtime_killed_by_a_signal_exits_128_plus_n(
    &[RUNTIME_STARTED, RT_OUT_1,
      r#""kind":"step","step":"runtime","phase":"ended","duration_ms":5,"outcome":"failed","signal":"SIGSEGV""#,
      r#""kind":"state","from":"running","to":"runtime_failed","reason":"runtime killed by SIGSEGV","failure":{"stage":"running","signal":"SIGSEGV"}"#],
    &["process /bin/rt 42 Launch", r#"stdout "frame 1\n""#, "exited 139", r#"important "runtime killed by SIGSEGV\n""#],
    Some("runtime_failed"),
)]
#[case::a_runtime_that_could_not_start_has_no_process_and_no_exit(
    &[r#""kind":"step","step":"runtime","phase":"started","command":["/nope","run","build"]"#,
      r#""kind":"step","step":"runtime","phase":"ended","duration_ms":0,"outcome":"failed""#,
      r#""kind":"state","from":"connecting","to":"runtime_failed","reason":"cannot start /nope","failure":{"stage":"spawn"}"#],
    &[r#"important "cannot start /nope\n""#],
    Some("runtime_failed"),
)]
#[case::a_stop_mid_step_closes_its_group(
    &[BUILD_STARTED, BUILD_OUT,
      r#""kind":"state","from":"preparing","to":"stopping","reason":"stop requested""#,
      r#""kind":"step","step":"build","phase":"ended","duration_ms":9,"outcome":"stopped","signal":"SIGTERM""#,
      r#""kind":"state","from":"stopping","to":"stopped","reason":"stop requested""#],
    &[r#"console[startCollapsed] "build\n""#,
      r#"console "compiling\n── stopping ─ stop requested\n""#,
      r#"console[end] "build stopped: killed by SIGTERM in 9 ms\n""#,
      r#"console "── stopped ─ stop requested\n""#],
    Some("stopped"),
)]
#[case::a_group_whose_end_was_missed_is_closed_by_the_next_step(
    &[BUILD_STARTED, MANIFEST_STARTED],
    &[r#"console[startCollapsed] "build\n""#,
      r#"console[end] "build: its end was not seen\n""#,
      r#"console[startCollapsed] "manifest\n""#],
    None,
)]
#[case::other_runs_are_not_shown(
    &[r#""run":2,"kind":"log","source":"build","severity":"info","stream":"stdout","message":"other""#, RT_OUT_1],
    &[r#"stdout "frame 1\n""#],
    None,
)]
fn maps_a_run(#[case] fragments: &[&str], #[case] expected: &[&str], #[case] ended: Option<&str>) {
    let events = events(fragments);
    let mut mapping = RunMapping::new(1, StartMethod::Launch);
    let mut out = Vec::new();
    let mut end = None;
    for event in &events {
        if let Progress::Ended(state) = mapping.feed(Item::Event(event.view()), &mut out) {
            end = Some(state.to_string());
        }
    }
    mapping.flush(&mut out);
    let rendered: Vec<String> = out.iter().map(render).collect();
    assert_eq!(rendered, expected);
    assert_eq!(end.as_deref(), ended);
}

#[test]
fn a_gap_is_said_in_the_console() {
    let mut mapping = RunMapping::new(1, StartMethod::Attach);
    let mut out = Vec::new();
    mapping.feed(Item::Missed { count: 1500 }, &mut out);
    mapping.flush(&mut out);
    assert_eq!(
        out.iter().map(render).collect::<Vec<_>>(),
        [r#"console "… 1500 events were missed: the adapter fell behind the session's buffer\n""#]
    );
}

#[test]
fn coalesced_output_is_cut_into_bounded_messages_that_keep_every_line_in_order() {
    let lines: Vec<String> = (0..20_000)
        .map(|index| {
            format!(
                r#""kind":"log","source":"runtime","severity":"info","stream":"stdout","message":"line {index}""#
            )
        })
        .collect();
    let fragments: Vec<&str> = lines.iter().map(String::as_str).collect();
    let events = events(&fragments);
    let mut mapping = RunMapping::new(1, StartMethod::Launch);
    let mut out = Vec::new();
    for event in &events {
        mapping.feed(Item::Event(event.view()), &mut out);
    }
    mapping.flush(&mut out);
    assert!(out.len() > 1, "200 KB of lines is more than one message");
    let mut text = String::new();
    for body in &out {
        let EventBody::Output(output) = body else {
            panic!("only output: {body:?}")
        };
        assert!(output.output.ends_with('\n'));
        assert!(output.output.len() <= 65 * 1024);
        text.push_str(&output.output);
    }
    let expected: String = (0..20_000).map(|index| format!("line {index}\n")).collect();
    assert_eq!(text, expected);
}
