//! The file `prometeu-session init` writes.

/// Every key at its default, each with a comment; `[cartridge]` commented out; a placeholder
/// runtime path that `play` rejects with a message saying what to edit.
pub const TEMPLATE: &str = r#"# prometeu-session configuration: what Play does for this project.
# Paths resolve against this project's root; a program name without '/' is looked up on PATH.

[session]
stop_grace = "2s"                 # on stop: SIGTERM to each process group, SIGKILL after this ("0s" kills at once)
pipe_grace = "200ms"              # after a process exits, how long its pipes may stay open before its leftovers are ended

[log]
max_line = "64KiB"                # longer lines are cut (and marked truncated)
buffer_events = 100000            # events kept for frontends that attach late
buffer_bytes = "16MiB"            # bytes kept for them (64 per event plus its text); at least max_line + 64

[runtime]                         # needed by `play` only
path = "path/to/prometeu"         # EDIT ME: the PROMETEU runtime executable
mode = "run"                      # "run": "<path> run build"; "debug": "<path> debug build" + DevTools handshake
debug_address = "127.0.0.1:7777"  # debug mode: an IP literal and port; must match the runtime's own setting
handshake_timeout = "10s"         # debug mode: from spawn to handshake completed
env = { }                         # added to the runtime's environment, such as { RUST_LOG = "info" }

[shipper]                         # one command per step (program, then arguments), run in the project root
build = ["prometeuc", "build", "."]
pack-validation = ["prometeu-packer", "validate"]
pack = ["prometeu-packer", "pack"]
env = { }                         # added to every step's environment

# With [cartridge], the session writes build/manifest.json after pack; without it, pack must.
# [cartridge]
# app_id = 1                      # 0 to 4294967295
# title = "ColorSquare"
# app_version = "1.0.0"
# app_mode = "Game"               # "Game" or "System"
# entrypoint = "main"
# capabilities = []               # such as ["Asset"]
"#;
