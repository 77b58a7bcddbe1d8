//! The bridge's conversations, each a script of inputs and the effects they must produce.

use serde_json::{Value, json};
use session_domain::{Event, RunMode};

use crate::bridge::{Bridge, Effect, Item, PlayFailed, SessionAnswer};
use crate::mapping_tests::{events, render};
use crate::protocol::{Incoming, Outgoing, Request};

/// One input of a script.
enum Input {
    Request(&'static str, Value),
    Answer(SessionAnswer),
    Items(Vec<&'static str>),
    ClientGone,
}

use Input::{Answer, ClientGone, Items};

fn request(command: &'static str) -> Input {
    Input::Request(command, Value::Null)
}

fn request_with(command: &'static str, arguments: Value) -> Input {
    Input::Request(command, arguments)
}

/// Runs `script` through a fresh bridge; every effect rendered compactly, one per string:
/// `response launch ok`, `response launch failed: why`, `session Stop`, or an event body.
fn run(script: Vec<Input>) -> Vec<String> {
    let mut bridge = Bridge::new();
    let mut rendered = Vec::new();
    let mut client_seq = 0;
    let mut last_seq = 0;
    for input in script {
        let effects = match input {
            Input::Request(command, arguments) => {
                client_seq += 1;
                bridge.on_message(Incoming::Request(Request {
                    seq: client_seq,
                    command: command.to_owned(),
                    arguments: (!arguments.is_null()).then_some(arguments),
                }))
            }
            Answer(answer) => bridge.on_answer(answer),
            Items(fragments) => {
                let events: Vec<Event> = self::events(&fragments);
                bridge.on_items(events.iter().map(|event| Item::Event(event.view())))
            }
            ClientGone => bridge.on_client_gone(),
        };
        for effect in effects {
            match effect {
                Effect::Send(message) => {
                    assert_eq!(message.seq(), last_seq + 1, "seq counts up by one");
                    last_seq = message.seq();
                    rendered.push(match message {
                        Outgoing::Response(response) => match response.message {
                            None => format!("response {} ok", response.command),
                            Some(why) => format!("response {} failed: {why}", response.command),
                        },
                        Outgoing::Event(event) => render(&event.body),
                    });
                }
                Effect::Session(command) => rendered.push(format!("session {command:?}")),
            }
        }
    }
    rendered
}

const RUN_1_RUNNING: &[&str] = &[
    r#""kind":"state","from":"idle","to":"preparing","reason":"play requested""#,
    r#""kind":"step","step":"runtime","phase":"started","command":["/bin/rt","run","build"],"pid":42"#,
    r#""kind":"log","source":"runtime","severity":"info","stream":"stdout","message":"frame 1""#,
];
const RUN_1_STOPS: &[&str] = &[
    r#""kind":"log","source":"runtime","severity":"info","stream":"stdout","message":"bye""#,
    r#""kind":"step","step":"runtime","phase":"ended","duration_ms":9,"outcome":"stopped","signal":"SIGTERM""#,
    r#""kind":"state","from":"stopping","to":"stopped","reason":"stop requested""#,
];

fn launched() -> Vec<Input> {
    vec![
        request("initialize"),
        request_with("launch", json!({"project": "/p"})),
        request("configurationDone"),
        Answer(SessionAnswer::Played(Ok(1))),
    ]
}

fn launched_prefix() -> Vec<&'static str> {
    vec![
        "response initialize ok",
        "initialized",
        "response configurationDone ok",
        r#"session Launch { project: Some("/p"), mode: None }"#,
        "response launch ok",
    ]
}

fn with(mut script: Vec<Input>, more: Vec<Input>) -> Vec<Input> {
    script.extend(more);
    script
}

fn expect(prefix: Vec<&'static str>, more: &[&str]) -> Vec<String> {
    prefix
        .into_iter()
        .chain(more.iter().copied())
        .map(str::to_owned)
        .collect()
}

#[test]
fn launch_waits_for_configuration_done_then_plays_and_ends_with_one_terminated() {
    let script = with(
        launched(),
        vec![
            Items(RUN_1_RUNNING.to_vec()),
            Items(RUN_1_STOPS.to_vec()),
            Items(vec![
                r#""kind":"log","source":"session","severity":"info","message":"late""#,
            ]),
            request("threads"),
            request("disconnect"),
        ],
    );
    assert_eq!(
        run(script),
        expect(
            launched_prefix(),
            &[
                r#"console "── preparing ─ play requested\n""#,
                "process /bin/rt 42 Launch",
                r#"stdout "frame 1\n""#,
                r#"stdout "bye\n""#,
                "exited 143",
                r#"console "── stopped ─ stop requested\n""#,
                "terminated",
                "response threads ok",
                "response disconnect ok",
                "session Shutdown",
            ]
        )
    );
}

#[test]
fn configuration_done_before_launch_plays_at_launch_in_the_asked_mode() {
    let script = vec![
        request("initialize"),
        request("configurationDone"),
        request_with("launch", json!({"project": "/p", "mode": "debug"})),
        Answer(SessionAnswer::Played(Ok(1))),
    ];
    assert_eq!(
        run(script),
        [
            "response initialize ok",
            "initialized",
            "response configurationDone ok",
            r#"session Launch { project: Some("/p"), mode: Some(Debug) }"#,
            "response launch ok",
        ]
    );
    let no_debug = vec![
        request("configurationDone"),
        request_with("launch", json!({"mode": "debug", "noDebug": true})),
    ];
    assert_eq!(
        run(no_debug)[1],
        format!(
            "session Launch {{ project: None, mode: Some({:?}) }}",
            RunMode::Run
        )
    );
}

#[test]
fn a_refused_or_ignored_play_fails_launch_with_its_line_and_terminates() {
    let script = vec![
        request("launch"),
        request("configurationDone"),
        Answer(SessionAnswer::Played(Err(PlayFailed::new(
            "prometeu-session.toml: [runtime] path: not found",
        )))),
        request("threads"),
    ];
    assert_eq!(
        run(script),
        [
            "response configurationDone ok",
            "session Launch { project: None, mode: None }",
            "response launch failed: prometeu-session.toml: [runtime] path: not found",
            "terminated",
            "response threads ok",
        ]
    );
}

#[test]
fn an_unknown_mode_fails_launch_without_asking_the_session() {
    let script = vec![request_with("launch", json!({"mode": "fast"}))];
    assert_eq!(
        run(script),
        [
            r#"response launch failed: launch: `mode` must be "run" or "debug", not "fast""#,
            "terminated",
        ]
    );
}

#[test]
fn terminate_stops_and_a_second_terminate_kills() {
    let script = with(
        launched(),
        vec![
            Items(RUN_1_RUNNING.to_vec()),
            request("terminate"),
            request("terminate"),
            request("terminate"),
            Items(RUN_1_STOPS.to_vec()),
        ],
    );
    let rendered = run(script);
    let tail: Vec<&str> = rendered[8..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "response terminate ok",
            "session Stop",
            "response terminate ok",
            "session Kill",
            "response terminate ok",
            "session Kill",
            r#"stdout "bye\n""#,
            "exited 143",
            r#"console "── stopped ─ stop requested\n""#,
            "terminated",
        ]
    );
}

#[test]
fn disconnect_with_terminate_debuggee_kills_and_is_answered_after_terminated() {
    let script = with(
        launched(),
        vec![
            Items(RUN_1_RUNNING.to_vec()),
            request_with("disconnect", json!({"terminateDebuggee": true})),
            Items(RUN_1_STOPS.to_vec()),
        ],
    );
    let rendered = run(script);
    assert_eq!(
        rendered[8..],
        [
            "session Kill",
            r#"stdout "bye\n""#,
            "exited 143",
            r#"console "── stopped ─ stop requested\n""#,
            "terminated",
            "response disconnect ok",
            "session Shutdown",
        ]
    );
}

#[test]
fn disconnect_without_terminate_debuggee_detaches_from_an_attached_run() {
    let script = vec![
        request_with("attach", json!({"project": "/p"})),
        request("configurationDone"),
        Answer(SessionAnswer::Attached(Ok(Some(1)))),
        Items(RUN_1_RUNNING.to_vec()),
        request("disconnect"),
        Items(RUN_1_STOPS.to_vec()),
    ];
    assert_eq!(
        run(script),
        [
            "response configurationDone ok",
            r#"session Attach { project: Some("/p") }"#,
            "response attach ok",
            r#"console "── preparing ─ play requested\n""#,
            "process /bin/rt 42 Attach",
            r#"stdout "frame 1\n""#,
            "session Detach",
            "terminated",
            "response disconnect ok",
            "session Shutdown",
        ]
    );
}

#[test]
fn attach_to_a_server_without_a_run_follows_the_next_one() {
    let script = vec![
        request("attach"),
        request("configurationDone"),
        Answer(SessionAnswer::Attached(Ok(None))),
        Items(vec![
            r#""run":3,"kind":"log","source":"session","severity":"info","message":"before""#,
            r#""run":3,"kind":"state","from":"stopped","to":"preparing","reason":"play requested""#,
            r#""run":3,"kind":"state","from":"preparing","to":"prepare_failed","reason":"no manifest","failure":{"stage":"manifest"}"#,
        ]),
    ];
    assert_eq!(
        run(script),
        [
            "response configurationDone ok",
            "session Attach { project: None }",
            "response attach ok",
            r#"console "── preparing ─ play requested\n""#,
            r#"important "no manifest\n""#,
            "terminated",
        ]
    );
}

#[test]
fn restart_stops_waits_for_the_end_and_plays_again_without_terminating() {
    let script = with(
        launched(),
        vec![
            Items(RUN_1_RUNNING.to_vec()),
            request_with(
                "restart",
                json!({"arguments": {"project": "/p", "mode": "debug"}}),
            ),
            Items(RUN_1_STOPS.to_vec()),
            Answer(SessionAnswer::Played(Ok(2))),
            Items(vec![
                r#""run":2,"kind":"state","from":"stopped","to":"preparing","reason":"play requested""#,
            ]),
        ],
    );
    let rendered = run(script);
    assert_eq!(
        rendered[8..],
        [
            "session Stop",
            r#"stdout "bye\n""#,
            "exited 143",
            r#"console "── stopped ─ stop requested\n""#,
            "session Play { mode: Some(Debug) }",
            "response restart ok",
            r#"console "── preparing ─ play requested\n""#,
        ]
    );
}

#[test]
fn every_request_is_answered_and_unknown_ones_fail() {
    let script = vec![
        request_with(
            "setBreakpoints",
            json!({"source": {"path": "/p/main.pbs"}, "breakpoints": [{"line": 1}]}),
        ),
        request_with("setExceptionBreakpoints", json!({"filters": []})),
        request("evaluate"),
        request_with("launch", json!({"project": 7})),
        request("restart"),
        request("threads"),
    ];
    assert_eq!(
        run(script),
        [
            "response setBreakpoints ok",
            "response setExceptionBreakpoints ok",
            "response evaluate failed: `evaluate` is not supported: prometeu-session runs and stops the cartridge and shows its log",
            "response launch failed: invalid arguments for `launch`: invalid type: integer `7`, expected a string",
            "response restart failed: there is no run to restart",
            "response threads ok",
        ]
    );
}

#[test]
fn terminate_while_the_play_is_in_flight_stops_the_run_once_it_started() {
    let script = vec![
        request("launch"),
        request("configurationDone"),
        request("terminate"),
        Answer(SessionAnswer::Played(Ok(1))),
        request("terminate"),
    ];
    assert_eq!(
        run(script)[2..],
        [
            "response terminate ok",
            "response launch ok",
            "session Stop",
            "response terminate ok",
            "session Kill",
        ]
    );
}

#[test]
fn the_client_going_away_kills_a_launched_run_and_leaves_a_followed_one() {
    let launched_then_gone = with(launched(), vec![Items(RUN_1_RUNNING.to_vec()), ClientGone]);
    assert_eq!(
        run(launched_then_gone)[8..],
        ["session Kill", "session Shutdown"]
    );
    let attached_then_gone = vec![
        request("attach"),
        request("configurationDone"),
        Answer(SessionAnswer::Attached(Ok(Some(1)))),
        ClientGone,
    ];
    assert_eq!(
        run(attached_then_gone)[3..],
        ["session Detach", "session Shutdown"]
    );
}

#[test]
fn a_stream_that_ends_mid_run_terminates_after_what_was_shown() {
    let script = with(
        launched(),
        vec![
            Items(RUN_1_RUNNING.to_vec()),
            Answer(SessionAnswer::StreamEnded),
            Answer(SessionAnswer::StreamEnded),
        ],
    );
    assert_eq!(
        run(script)[8..],
        [
            r#"console "the session's event stream ended\n""#,
            "terminated"
        ]
    );
}
