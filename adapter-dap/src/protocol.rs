//! The DAP messages this adapter speaks, written here with serde because the published DAP
//! crates are stale or incomplete. Only what the bridge needs is typed; every request it does
//! not know still parses (as [`Request`] with its `command`) so that it can be answered.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message from the client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Incoming {
    /// A request, to be answered.
    Request(Request),
    /// An answer to a reverse request; this adapter sends none, so it ignores them.
    Response(Value),
    /// Clients send no events; ignored.
    Event(Value),
}

/// A request envelope.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Request {
    /// The client's sequence number, echoed as `request_seq`.
    pub seq: i64,
    /// What is asked.
    pub command: String,
    /// Its arguments, read by [`ClientRequest::parse`].
    #[serde(default)]
    pub arguments: Option<Value>,
}

/// The requests the bridge understands, with their arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientRequest {
    /// `initialize`: answered with the capabilities, then the `initialized` event.
    Initialize,
    /// `launch`.
    Launch(LaunchArguments),
    /// `attach`.
    Attach(AttachArguments),
    /// `configurationDone`.
    ConfigurationDone,
    /// `terminate`.
    Terminate,
    /// `disconnect`.
    Disconnect(DisconnectArguments),
    /// `restart`, with the launch configuration it may carry.
    Restart(Option<LaunchArguments>),
    /// `threads`.
    Threads,
    /// `setBreakpoints`: answered with every breakpoint unverified.
    SetBreakpoints(SetBreakpointsArguments),
    /// `setExceptionBreakpoints`, `setFunctionBreakpoints`: accepted, nothing to set.
    NoBreakpoints,
    /// Anything else: answered with an error.
    Unknown,
}

/// The arguments of a request did not match what it takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid arguments for `{command}`: {message}")]
pub struct BadArguments {
    /// The request.
    pub command: String,
    /// serde's description of the mismatch.
    pub message: String,
}

impl ClientRequest {
    /// Reads `request`'s command and arguments.
    pub fn parse(request: &Request) -> Result<Self, BadArguments> {
        let arguments = || request.arguments.clone().unwrap_or(Value::Null);
        let command = request.command.as_str();
        Ok(match command {
            "initialize" => Self::Initialize,
            "launch" => Self::Launch(decode(command, arguments())?),
            "attach" => Self::Attach(decode(command, arguments())?),
            "configurationDone" => Self::ConfigurationDone,
            "terminate" => Self::Terminate,
            "disconnect" => Self::Disconnect(decode(command, arguments())?),
            "restart" => {
                let restart: RestartArguments = decode(command, arguments())?;
                Self::Restart(restart.arguments)
            }
            "threads" => Self::Threads,
            "setBreakpoints" => Self::SetBreakpoints(decode(command, arguments())?),
            "setExceptionBreakpoints" | "setFunctionBreakpoints" => Self::NoBreakpoints,
            _ => Self::Unknown,
        })
    }
}

fn decode<T: serde::de::DeserializeOwned>(command: &str, value: Value) -> Result<T, BadArguments> {
    // A request without arguments reads as an empty object, so that all-optional arguments
    // need not be sent.
    let value = if value.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        value
    };
    serde_json::from_value(value).map_err(|error| BadArguments {
        command: command.to_owned(),
        message: error.to_string(),
    })
}

/// `launch`'s arguments. Unknown keys are allowed: clients add their own (`type`, `name`,
/// `request`, `__sessionId`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchArguments {
    /// The project root.
    #[serde(default)]
    pub project: Option<String>,
    /// `run` or `debug`; absent keeps the configured `[runtime] mode`.
    #[serde(default)]
    pub mode: Option<String>,
    /// "Run without debugging": the run mode, whatever `mode` says.
    #[serde(default)]
    pub no_debug: bool,
}

/// `attach`'s arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AttachArguments {
    /// The project root whose server to follow.
    #[serde(default)]
    pub project: Option<String>,
}

/// `disconnect`'s arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DisconnectArguments {
    /// The client is about to restart the session (it will launch again).
    #[serde(default)]
    pub restart: bool,
    /// End the debuggee (`Some(true)`), leave it running (`Some(false)`), or let the
    /// adapter decide (`None`).
    #[serde(default)]
    pub terminate_debuggee: Option<bool>,
}

/// `restart`'s arguments: the (possibly edited) launch configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
struct RestartArguments {
    #[serde(default)]
    arguments: Option<LaunchArguments>,
}

/// `setBreakpoints`'s arguments, as far as the answer needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SetBreakpointsArguments {
    /// The breakpoints asked for; each gets an unverified answer.
    #[serde(default)]
    pub breakpoints: Vec<Value>,
}

/// A message to the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Outgoing {
    /// An answer to a request.
    Response(Response),
    /// An event.
    Event(Event),
}

impl Outgoing {
    /// The message's `seq`.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Response(response) => response.seq,
            Self::Event(event) => event.seq,
        }
    }
}

/// A response envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    /// Our sequence number.
    pub seq: i64,
    /// The request's sequence number.
    pub request_seq: i64,
    /// Whether the request succeeded.
    pub success: bool,
    /// The request's command.
    pub command: String,
    /// Why it failed: one line, shown to the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<ResponseBody>,
}

/// The bodies of the responses that carry one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ResponseBody {
    /// `initialize`.
    Capabilities(Capabilities),
    /// `threads`.
    Threads {
        /// Always the one thread.
        threads: Vec<Thread>,
    },
    /// `setBreakpoints`.
    Breakpoints {
        /// One unverified breakpoint per breakpoint asked for.
        breakpoints: Vec<Breakpoint>,
    },
}

/// What the adapter supports; every other capability is absent, which DAP reads as false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[expect(
    clippy::struct_excessive_bools,
    reason = "DAP capabilities are a bag of flags"
)]
pub struct Capabilities {
    /// The client sends `configurationDone`.
    pub supports_configuration_done_request: bool,
    /// `terminate` stops the run gracefully.
    pub supports_terminate_request: bool,
    /// `disconnect` honours `terminateDebuggee`.
    pub support_terminate_debuggee: bool,
    /// `restart` stops, waits and plays again, within one debug session.
    pub supports_restart_request: bool,
}

/// A thread of the debuggee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thread {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A breakpoint as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakpoint {
    /// Whether it could be set: never, here.
    pub verified: bool,
    /// Why not.
    pub message: String,
}

/// An event envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Our sequence number.
    pub seq: i64,
    /// The event's name and body.
    #[serde(flatten)]
    pub body: EventBody,
}

/// The events this adapter sends.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", content = "body", rename_all = "camelCase")]
pub enum EventBody {
    /// The adapter is ready for configuration requests.
    Initialized,
    /// Output for the debug console.
    Output(OutputBody),
    /// The debuggee's process.
    Process(ProcessBody),
    /// The debuggee exited.
    Exited(ExitedBody),
    /// The debug session ended.
    Terminated,
}

/// `output`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputBody {
    /// Where the client shows it.
    pub category: Category,
    /// The text; always ends with a newline.
    pub output: String,
    /// Grouping of the output that follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
}

/// `output`'s categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// The adapter's and session's own words.
    Console,
    /// What needs the user's attention (a failure).
    Important,
    /// The runtime's stdout.
    Stdout,
    /// The runtime's stderr.
    Stderr,
}

/// `output`'s grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Group {
    /// Opens a group shown collapsed; `output` is its title.
    StartCollapsed,
    /// Closes the current group; a non-empty `output` is shown as its unindented end.
    End,
}

/// `process`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessBody {
    /// The runtime's program.
    pub name: String,
    /// Its pid.
    pub system_process_id: u32,
    /// It runs on this machine.
    pub is_local_process: bool,
    /// How this debug session came to it.
    pub start_method: StartMethod,
}

/// `process`'s `startMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StartMethod {
    /// This debug session started the run.
    Launch,
    /// This debug session follows a run it did not start.
    Attach,
}

/// `exited`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExitedBody {
    /// The runtime's exit code, 128 + n for signal n.
    pub exit_code: i32,
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    fn request(command: &str, arguments: Option<Value>) -> Request {
        Request {
            seq: 1,
            command: command.to_owned(),
            arguments,
        }
    }

    #[rstest]
    #[case::initialize("initialize", Some(json!({"adapterID": "prometeu"})), ClientRequest::Initialize)]
    #[case::launch_full("launch", Some(json!({"project": "/p", "mode": "debug", "noDebug": true, "type": "prometeu", "__sessionId": "x"})),
        ClientRequest::Launch(LaunchArguments { project: Some("/p".into()), mode: Some("debug".into()), no_debug: true }))]
    #[case::launch_bare("launch", None, ClientRequest::Launch(LaunchArguments::default()))]
    #[case::attach("attach", Some(json!({"project": "/p"})), ClientRequest::Attach(AttachArguments { project: Some("/p".into()) }))]
    #[case::disconnect_bare(
        "disconnect",
        None,
        ClientRequest::Disconnect(DisconnectArguments::default())
    )]
    #[case::disconnect_terminate("disconnect", Some(json!({"terminateDebuggee": true})),
        ClientRequest::Disconnect(DisconnectArguments { restart: false, terminate_debuggee: Some(true) }))]
    #[case::restart_bare("restart", None, ClientRequest::Restart(None))]
    #[case::restart_with_configuration("restart", Some(json!({"arguments": {"project": "/q"}})),
        ClientRequest::Restart(Some(LaunchArguments { project: Some("/q".into()), ..LaunchArguments::default() })))]
    #[case::threads("threads", None, ClientRequest::Threads)]
    #[case::set_breakpoints("setBreakpoints", Some(json!({"source": {}, "breakpoints": [{"line": 3}]})),
        ClientRequest::SetBreakpoints(SetBreakpointsArguments { breakpoints: vec![json!({"line": 3})] }))]
    #[case::exception_breakpoints("setExceptionBreakpoints", Some(json!({"filters": []})), ClientRequest::NoBreakpoints)]
    #[case::unknown("evaluate", Some(json!({"expression": "1"})), ClientRequest::Unknown)]
    fn parses_requests(
        #[case] command: &str,
        #[case] arguments: Option<Value>,
        #[case] expected: ClientRequest,
    ) {
        assert_eq!(
            ClientRequest::parse(&request(command, arguments)),
            Ok(expected)
        );
    }

    #[test]
    fn mistyped_arguments_are_an_error_naming_the_request() {
        let error = ClientRequest::parse(&request("launch", Some(json!({"project": 3}))))
            .expect_err("a number is not a path");
        assert_eq!(error.command, "launch");
        assert!(
            error
                .to_string()
                .starts_with("invalid arguments for `launch`: "),
            "{error}"
        );
    }

    #[test]
    fn envelopes_read_and_write_as_dap_says() {
        let incoming: Incoming =
            serde_json::from_value(json!({"seq": 3, "type": "request", "command": "threads"}))
                .expect("a request");
        let expected = Request {
            seq: 3,
            ..request("threads", None)
        };
        assert_eq!(incoming, Incoming::Request(expected));
        let messages = [
            (
                Outgoing::Event(Event {
                    seq: 1,
                    body: EventBody::Initialized,
                }),
                json!({"type": "event", "seq": 1, "event": "initialized"}),
            ),
            (
                Outgoing::Event(Event {
                    seq: 2,
                    body: EventBody::Terminated,
                }),
                json!({"type": "event", "seq": 2, "event": "terminated"}),
            ),
            (
                Outgoing::Event(Event {
                    seq: 3,
                    body: EventBody::Output(OutputBody {
                        category: Category::Stdout,
                        output: "hi\n".into(),
                        group: Some(Group::StartCollapsed),
                    }),
                }),
                json!({"type": "event", "seq": 3, "event": "output", "body": {"category": "stdout", "output": "hi\n", "group": "startCollapsed"}}),
            ),
            (
                Outgoing::Event(Event {
                    seq: 4,
                    body: EventBody::Process(ProcessBody {
                        name: "rt".into(),
                        system_process_id: 42,
                        is_local_process: true,
                        start_method: StartMethod::Launch,
                    }),
                }),
                json!({"type": "event", "seq": 4, "event": "process", "body": {"name": "rt", "systemProcessId": 42, "isLocalProcess": true, "startMethod": "launch"}}),
            ),
            (
                Outgoing::Event(Event {
                    seq: 5,
                    body: EventBody::Exited(ExitedBody { exit_code: 139 }),
                }),
                json!({"type": "event", "seq": 5, "event": "exited", "body": {"exitCode": 139}}),
            ),
            (
                Outgoing::Response(Response {
                    seq: 6,
                    request_seq: 1,
                    success: true,
                    command: "initialize".into(),
                    message: None,
                    body: Some(ResponseBody::Capabilities(Capabilities {
                        supports_configuration_done_request: true,
                        supports_terminate_request: true,
                        support_terminate_debuggee: true,
                        supports_restart_request: true,
                    })),
                }),
                json!({"type": "response", "seq": 6, "request_seq": 1, "success": true, "command": "initialize",
                       "body": {"supportsConfigurationDoneRequest": true, "supportsTerminateRequest": true,
                                "supportTerminateDebuggee": true, "supportsRestartRequest": true}}),
            ),
            (
                Outgoing::Response(Response {
                    seq: 7,
                    request_seq: 2,
                    success: false,
                    command: "evaluate".into(),
                    message: Some("no".into()),
                    body: None,
                }),
                json!({"type": "response", "seq": 7, "request_seq": 2, "success": false, "command": "evaluate", "message": "no"}),
            ),
        ];
        for (message, expected) in messages {
            assert_eq!(
                serde_json::to_value(&message).expect("serialises"),
                expected
            );
        }
    }
}
