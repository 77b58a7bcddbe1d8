//! The fast writer against serde, byte for byte, over a wide generated table of every kind of
//! item: every log shape, every state pair with every failure, every step shape, `missed`.

use std::num::NonZeroI32;

use super::*;
use crate::{
    Event, HandshakeFailure, LineBatch, LineMeta, LogEvent, SessionState, Severity, Signal, Source,
    StateChange, StateEvent, Step, StepEnd, StepEvent, StepFailure, StepName, StepOutcome,
    StepRecord, Stream, Termination,
};

const TIMES: [i64; 7] = [
    0,
    1,
    999_999_999,
    1_000_000_000,
    1_775_469_600_120_000_000,
    -1,
    4_102_444_799_999_999_999,
];

const TEXTS: [&str; 7] = [
    "",
    "plain",
    "quote \" backslash \\ slash /",
    "tab\tcr\rnewline\nbell\u{7}esc\u{1b}[31mred\u{1b}[0m nul\u{0} del\u{7f}",
    "\u{8}\u{c}\u{1f}",
    "unicode: ação ✓ 🎮 \u{fffd}",
    "\u{2028}\u{2029}",
];

/// The writer's line for `event`, checked equal to serde's.
fn same_bytes_as_serde(writer: &mut JsonWriter, event: &Event) -> Vec<u8> {
    let mut written = Vec::new();
    writer.write_line(&event.view(), &mut written);
    let mut expected = serde_json::to_vec(&event.view()).expect("an event serialises");
    expected.push(b'\n');
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&expected)
    );
    written
}

/// Checks one event: the writer's line equals serde's, and the line parses back to the event.
fn check(writer: &mut JsonWriter, event: &Event) {
    let written = same_bytes_as_serde(writer, event);
    let parsed: Event = serde_json::from_slice(&written).expect("the writer's line parses");
    assert_eq!(&parsed, event);
}

fn signals() -> Vec<Signal> {
    [1, 9, 11, 15, 34, 64]
        .into_iter()
        .map(|number| Signal::from_number(number).expect("a signal number"))
        .collect()
}

fn abnormal_exits() -> Vec<AbnormalExit> {
    let mut exits: Vec<AbnormalExit> = [1, 2, 127, 255, -1, i32::MIN, i32::MAX]
        .into_iter()
        .map(|code| AbnormalExit::Code(NonZeroI32::new(code).expect("not zero")))
        .collect();
    exits.extend(signals().into_iter().map(AbnormalExit::Signal));
    exits
}

fn terminations() -> Vec<Termination> {
    let mut all = vec![Termination::Success];
    all.extend(abnormal_exits().into_iter().map(Termination::Abnormal));
    all
}

fn failures() -> Vec<Failure> {
    let mut all = vec![Failure::Manifest, Failure::RuntimeSpawn];
    for step in Step::ORDER {
        all.push(Failure::Step {
            step,
            cause: StepFailure::Spawn,
        });
        for exit in abnormal_exits() {
            all.push(Failure::Step {
                step,
                cause: StepFailure::Exit(exit),
            });
        }
    }
    for handshake in [
        HandshakeFailure::Timeout,
        HandshakeFailure::Closed,
        HandshakeFailure::BadHandshake,
        HandshakeFailure::VersionMismatch,
    ] {
        all.push(Failure::Handshake(handshake));
    }
    for end in terminations() {
        all.push(Failure::Handshake(HandshakeFailure::Exited(end)));
    }
    for exit in abnormal_exits() {
        all.push(Failure::Running(exit));
    }
    all
}

#[test]
fn log_events_match_serde() {
    let mut writer = JsonWriter::default();
    let mut seq = 1_u64;
    for message in TEXTS {
        for at in TIMES {
            for stream in [
                None,
                Some(Stream::Stdout),
                Some(Stream::Stderr),
                Some(Stream::Devtools),
            ] {
                for truncated in [false, true] {
                    for source in Source::ALL {
                        for severity in Severity::ALL {
                            seq = seq.wrapping_mul(7).wrapping_add(1) % (u64::MAX / 2) + 1;
                            check(
                                &mut writer,
                                &Event::Log(LogEvent {
                                    seq,
                                    run: seq / 3 + 1,
                                    at: Timestamp::from_unix_nanos(at),
                                    source,
                                    severity,
                                    stream,
                                    message: message.to_owned(),
                                    truncated,
                                }),
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn the_extreme_timestamps_match_serde() {
    let mut writer = JsonWriter::default();
    for at in [
        i64::MIN,
        i64::MIN + 1,
        -9_223_372_036_000_000_001,
        -9_223_372_036_000_000_000,
        -1_000_000_000,
        -999_999_999,
        i64::MAX,
    ] {
        // Bytes only: `Timestamp`'s parser refuses the lowest second of the range.
        let event = Event::Log(LogEvent {
            seq: 1,
            run: 1,
            at: Timestamp::from_unix_nanos(at),
            source: Source::Runtime,
            severity: Severity::Info,
            stream: None,
            message: "\u{ffff}\u{10ffff}\u{d7ff}\u{e000}\u{feff}".to_owned(),
            truncated: false,
        });
        same_bytes_as_serde(&mut writer, &event);
    }
}

#[test]
fn every_control_character_is_escaped_like_serde() {
    let mut writer = JsonWriter::default();
    for byte in 0_u8..=0x7f {
        check(
            &mut writer,
            &Event::Log(LogEvent {
                seq: u64::MAX,
                run: 1,
                at: Timestamp::EPOCH,
                source: Source::Runtime,
                severity: Severity::Info,
                stream: Some(Stream::Stdout),
                message: String::from(char::from(byte)),
                truncated: false,
            }),
        );
    }
}

#[test]
fn state_events_match_serde() {
    let mut writer = JsonWriter::default();
    let mut seq = 1;
    for from in SessionState::ALL {
        for to in SessionState::ALL {
            for reason in [None, Some(TEXTS[3]), Some("SIGINT received")] {
                for at in [TIMES[0], TIMES[4], TIMES[5]] {
                    seq += 1;
                    check(
                        &mut writer,
                        &Event::State(StateEvent {
                            seq,
                            run: 2,
                            at: Timestamp::from_unix_nanos(at),
                            from,
                            to,
                            reason: reason.map(str::to_owned),
                            failure: None,
                        }),
                    );
                }
            }
        }
    }
    for failure in failures() {
        for to in [SessionState::PrepareFailed, SessionState::RuntimeFailed] {
            seq += 1;
            check(
                &mut writer,
                &Event::State(StateEvent {
                    seq,
                    run: 3,
                    at: Timestamp::from_unix_nanos(TIMES[4]),
                    from: SessionState::Running,
                    to,
                    reason: Some(failure.to_string()),
                    failure: Some(failure),
                }),
            );
        }
    }
}

fn step_phases(step: StepName) -> Vec<StepPhase> {
    let mut phases = Vec::new();
    if step == StepName::Manifest {
        phases.push(StepPhase::Started {
            command: None,
            pid: None,
        });
    } else {
        for command in [
            vec!["prometeuc".to_owned()],
            vec!["sh".to_owned(), "-c".to_owned(), TEXTS[3].to_owned()],
            TEXTS.iter().map(|text| (*text).to_owned()).collect(),
        ] {
            for pid in [None, Some(1), Some(u32::MAX)] {
                phases.push(StepPhase::Started {
                    command: Some(command.clone()),
                    pid,
                });
            }
        }
    }
    for outcome in [
        StepOutcome::Succeeded,
        StepOutcome::Failed,
        StepOutcome::Stopped,
    ] {
        for duration_ms in [0, 1_210, u64::MAX] {
            let mut exits = vec![None];
            exits.extend(terminations().into_iter().map(Some));
            for exit in exits {
                phases.push(StepPhase::Ended(StepEnd {
                    duration_ms,
                    outcome,
                    exit,
                }));
            }
        }
    }
    phases
}

#[test]
fn step_events_match_serde() {
    let mut writer = JsonWriter::default();
    let mut seq = 1;
    for step in StepName::ALL {
        for phase in step_phases(step) {
            for at in [TIMES[1], TIMES[4]] {
                seq += 1;
                check(
                    &mut writer,
                    &Event::Step(StepEvent {
                        seq,
                        run: 4,
                        at: Timestamp::from_unix_nanos(at),
                        step,
                        phase: phase.clone(),
                    }),
                );
            }
        }
    }
}

#[test]
fn the_brief_step_examples_are_exact() {
    let started = Event::Step(StepEvent {
        seq: 5,
        run: 1,
        at: Timestamp::from_unix_nanos(1_775_469_600_120_000_000),
        step: StepName::Build,
        phase: StepPhase::Started {
            command: Some(vec!["prometeuc".into(), "build".into(), ".".into()]),
            pid: Some(4242),
        },
    });
    let ended = Event::Step(StepEvent {
        seq: 9,
        run: 1,
        at: Timestamp::from_unix_nanos(1_775_469_601_330_000_000),
        step: StepName::Runtime,
        phase: StepPhase::Ended(StepEnd {
            duration_ms: 1_210,
            outcome: StepOutcome::Failed,
            exit: Some(Termination::from_signal(
                Signal::from_number(11).expect("a signal"),
            )),
        }),
    });
    let mut writer = JsonWriter::default();
    let mut out = Vec::new();
    writer.write_line(&started.view(), &mut out);
    writer.write_line(&ended.view(), &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        concat!(
            r#"{"kind":"step","seq":5,"run":1,"at":"2026-04-06T10:00:00.120000000Z","step":"build","phase":"started","command":["prometeuc","build","."],"pid":4242}"#,
            "\n",
            r#"{"kind":"step","seq":9,"run":1,"at":"2026-04-06T10:00:01.330000000Z","step":"runtime","phase":"ended","duration_ms":1210,"outcome":"failed","signal":"SIGSEGV"}"#,
            "\n"
        )
    );
}

#[test]
fn missed_items_are_one_line_each() {
    for count in [0, 1, 42, u64::MAX] {
        let mut out = Vec::new();
        write_missed_line(count, &mut out);
        let expected = format!(
            "{}\n",
            serde_json::json!({"kind": "missed", "count": count})
        );
        assert_eq!(String::from_utf8_lossy(&out), expected);
    }
}

#[test]
fn malformed_step_events_are_rejected() {
    let head = r#""kind":"step","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z""#;
    for rest in [
        r#""step":"build","phase":"started""#,
        r#""step":"manifest","phase":"started","pid":3"#,
        r#""step":"build","phase":"started","command":["a"],"outcome":"failed""#,
        r#""step":"pack","phase":"ended","outcome":"failed""#,
        r#""step":"pack","phase":"ended","duration_ms":1,"outcome":"failed","exit_code":1,"signal":"SIGKILL""#,
        r#""step":"pack","phase":"ended","duration_ms":1,"outcome":"done""#,
        r#""step":"linker","phase":"ended","duration_ms":1,"outcome":"failed""#,
        r#""step":"runtime","phase":"ended","duration_ms":1,"outcome":"failed","pid":4"#,
        r#""step":"runtime","phase":"paused""#,
    ] {
        let json = format!("{{{head},{rest}}}");
        assert!(serde_json::from_str::<Event>(&json).is_err(), "{json}");
    }
}

/// `serde_json`'s line for each event of `batch`.
fn serde_lines(batch: &Batch) -> String {
    let mut expected = Vec::new();
    for event in batch.iter() {
        serde_json::to_writer(&mut expected, &event).expect("an event serialises");
        expected.push(b'\n');
    }
    String::from_utf8(expected).expect("utf-8")
}

fn log_event(seq: u64, message: String) -> Event {
    Event::Log(LogEvent {
        seq,
        run: 1,
        at: Timestamp::from_unix_nanos(TIMES[4]),
        source: Source::Runtime,
        severity: Severity::Info,
        stream: Some(Stream::Stdout),
        message,
        truncated: false,
    })
}

/// The word-at-a-time scan reads eight bytes per step and the last one to seven on their own:
/// a byte to escape at every position of every word and of the tail, alone, next to another,
/// and right at the end, with clean bytes of every kind around it (below and above the bytes to
/// escape, multi-byte characters whose bytes have the high bit set).
#[test]
fn escapes_at_every_position_of_a_word_match_serde() {
    let mut writer = JsonWriter::default();
    let mut seq = 0;
    let specials = ['"', '\\', '\n', '\t', '\u{0}', '\u{1f}'];
    let clean = [' ', '!', '#', '[', ']', '~', '\u{7f}', 'é', '€', '🎮'];
    for length in 0..=26 {
        for position in 0..length {
            for special in specials {
                for filler in clean {
                    let mut message: Vec<char> = vec![filler; length];
                    message[position] = special;
                    seq += 1;
                    check(&mut writer, &log_event(seq, message.iter().collect()));
                    // A second one at the end, where the scan's last word ends.
                    message[length - 1] = special;
                    seq += 1;
                    check(&mut writer, &log_event(seq, message.iter().collect()));
                }
            }
        }
    }
    // Every byte to escape in a row, and clean text of every length around them.
    for length in 0..=17 {
        let padding = "x".repeat(length);
        let message = format!("{padding}\"\\\u{1}\u{8}\u{c}\r\n{padding}");
        seq += 1;
        check(&mut writer, &log_event(seq, message));
    }
}

fn meta(at: i64, source: Source, severity: Severity, stream: Option<Stream>) -> LineMeta {
    LineMeta {
        at: Timestamp::from_unix_nanos(at),
        source,
        severity,
        stream,
        truncated: false,
    }
}

/// The writer remembers the text before a line's message from the last line: a batch whose
/// time, severity, source, stream or cut changes midway, and back, must still match serde.
#[test]
fn a_batch_whose_lines_change_midway_matches_serde_line_by_line() {
    let stdout = Some(Stream::Stdout);
    let first = meta(TIMES[4], Source::Runtime, Severity::Info, stdout);
    let changes = [
        first,
        first,
        LineMeta {
            severity: Severity::Error,
            ..first
        },
        first,
        meta(TIMES[4] + 1, Source::Runtime, Severity::Info, stdout),
        meta(
            TIMES[4] + 1_000_000_000,
            Source::Runtime,
            Severity::Info,
            stdout,
        ),
        meta(TIMES[4] + 1, Source::Runtime, Severity::Info, stdout),
        meta(TIMES[4], Source::Build, Severity::Info, stdout),
        meta(
            TIMES[4],
            Source::Runtime,
            Severity::Info,
            Some(Stream::Stderr),
        ),
        meta(TIMES[4], Source::Session, Severity::Info, None),
        LineMeta {
            truncated: true,
            ..first
        },
        first,
        meta(TIMES[5], Source::Runtime, Severity::Warn, stdout),
        first,
    ];
    // Clean messages and messages to escape at their first or last byte, side by side: the
    // writer scans the batch's text once and copies clean messages as they are.
    let messages = [
        "clean line",
        "ends in a quote\"",
        "\u{1}starts with a control",
        "",
        "é and ✓, clean",
        "back\\slash inside",
        "a clean one longer than two words of eight bytes",
    ];
    let mut lines = LineBatch::new();
    for (index, change) in changes.iter().enumerate() {
        lines.push(*change, messages[index % messages.len()]);
    }
    for (index, message) in messages.iter().enumerate() {
        lines.push(first, &format!("{message} {index}"));
    }
    let mut writer = JsonWriter::default();
    // Seqs that carry (9 to 10, 99 to 100), a new run with the same times, and a jump back.
    // The last batch ends at the highest seq there is.
    let highest = u64::MAX - (lines.len() as u64 - 1);
    for (first_seq, run) in [(1, 1), (95, 1), (95, 2), (7, 2), (highest, 3)] {
        let batch = Batch::lines(first_seq, run, lines.clone());
        let mut written = Vec::new();
        writer.write_batch(&batch, &mut written);
        assert_eq!(String::from_utf8_lossy(&written), serde_lines(&batch));
        assert_eq!(written, without_avx2(&batch));
    }
}

#[test]
fn state_and_step_batches_are_written_as_their_event() {
    let mut writer = JsonWriter::default();
    let change = StateChange {
        at: Timestamp::from_unix_nanos(TIMES[4]),
        from: SessionState::Running,
        to: SessionState::Stopping,
        reason: Some("SIGINT received".to_owned()),
        failure: None,
    };
    let record = StepRecord {
        at: Timestamp::from_unix_nanos(TIMES[4] + 7),
        step: StepName::Build,
        phase: StepPhase::Started {
            command: Some(vec!["prometeuc".to_owned()]),
            pid: Some(3),
        },
    };
    let mut lines = LineBatch::new();
    lines.push(
        meta(TIMES[4], Source::Runtime, Severity::Info, None),
        "before",
    );
    for batch in [
        Batch::lines(8, 1, lines.clone()),
        Batch::state(9, 1, change),
        Batch::step(10, 1, record),
        Batch::lines(11, 1, lines),
    ] {
        let mut written = Vec::new();
        writer.write_batch(&batch, &mut written);
        assert_eq!(String::from_utf8_lossy(&written), serde_lines(&batch));
    }
}

/// The lines of a read, as the read framer makes them: the batch's text holds the read's
/// newlines (and `\r`s) between the messages.
fn framed(read: &[u8]) -> LineBatch {
    let origin = crate::ReadOrigin {
        source: Source::Runtime,
        stream: Stream::Stdout,
    };
    let mut framer = crate::ReadFramer::new(
        origin,
        std::num::NonZeroUsize::new(64).expect("64 is not zero"),
    );
    let mut lines = framer.frame(read, Timestamp::from_unix_nanos(TIMES[4]));
    lines.append(framer.finish(Timestamp::from_unix_nanos(TIMES[4])));
    lines
}

#[test]
fn framed_batches_with_newlines_and_returns_between_messages_match_serde() {
    for read in [
        &b"clean\nlines\nonly\n"[..],
        b"crlf\r\nlines\r\nwith a lone\rreturn inside\r\n",
        b"a \"quote\"\n\ttab first\nback\\slash\n\x01control\nlast without newline",
        b"\n\n\r\n\r\r\n",
        b"a line much longer than sixty-four bytes, cut, with a \"quote\" after the cut: \"\n",
    ] {
        assert_framed_read_matches_serde(read);
    }
}

/// The batch the read framer makes of `read`, written as a batch, is serde's line for each of
/// its events.
fn assert_framed_read_matches_serde(read: &[u8]) {
    let batch = Batch::lines(1, 1, framed(read));
    let mut written = Vec::new();
    JsonWriter::default().write_batch(&batch, &mut written);
    assert_eq!(
        String::from_utf8_lossy(&written),
        serde_lines(&batch),
        "{read:?}"
    );
    assert_eq!(written, without_avx2(&batch), "{read:?}");
}

/// What `write_batch` writes where the CPU has no AVX2: the same loop, compiled without it.
fn without_avx2(batch: &Batch) -> Vec<u8> {
    let (text, records) = batch.log_records().expect("a batch of lines");
    let mut written = Vec::new();
    JsonWriter::default().write_records(batch, text, records, &mut written);
    written
}

/// A clean message is copied with one copy of a fixed size when it is short and the text
/// goes on far enough after it: messages of every length around that size, the last ones of
/// the text with nothing after them, must match serde, and the loop compiled with AVX2 or
/// without it must write the same bytes.
#[test]
fn clean_messages_of_every_length_match_serde_whichever_copy_takes_them() {
    for last in 0..=MESSAGE_COPY + 2 {
        let mut lines = LineBatch::new();
        let first = meta(
            TIMES[4],
            Source::Runtime,
            Severity::Info,
            Some(Stream::Stdout),
        );
        for length in (0..=MESSAGE_COPY + 2).chain([last]) {
            lines.push(first, &"m".repeat(length));
        }
        let batch = Batch::lines(9, 1, lines);
        let mut written = Vec::new();
        JsonWriter::default().write_batch(&batch, &mut written);
        assert_eq!(String::from_utf8_lossy(&written), serde_lines(&batch));
        assert_eq!(written, without_avx2(&batch));
    }
}

#[test]
fn the_newlines_between_clean_messages_cost_no_search_of_their_own() {
    let read: String = (0..500)
        .map(|index| format!("clean line {index}\n"))
        .collect();
    let lines = framed(read.as_bytes());
    let batch = Batch::lines(1, 1, lines);
    let (text, views) = batch.log_views().expect("a batch of lines");
    let mut escapes = message_escapes(text);
    let mut count = 0;
    for view in views {
        assert!(!escapes.holds_flagged(view.message.as_bytes()));
        count += 1;
    }
    assert_eq!(count, 500);
    assert_eq!(escapes.searches(), 1, "one scan of the whole text");
}

/// The batch's one scan skips the newlines between messages: a byte to escape at every
/// position of messages of every length, with text of every kind after them (more lines, a
/// `\r\n`, or nothing: the last message of the text), must still be escaped like serde.
#[test]
fn escapes_at_every_position_of_framed_messages_match_serde() {
    for length in 0..=40 {
        for position in (0..length).map(Some).chain([None]) {
            for special in [b'"', b'\\', b'\t', 0x01, b'\r'] {
                let mut message = vec![b'x'; length];
                if let Some(position) = position {
                    message[position] = special;
                }
                for (before, after) in [
                    (&b""[..], &b"\nafter, a clean line of some length\n"[..]),
                    (b"before\n", b"\r\n\"quoted\"\n"),
                    (b"before\n", b""),
                ] {
                    assert_framed_read_matches_serde(&[before, &message, after].concat());
                }
            }
        }
    }
}
