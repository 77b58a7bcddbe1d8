//! Settings are read again at every play: an invalid file refuses that play with 422 and its
//! one line, and a fixed file plays, without restarting the server.

use super::support::{Item, Project, Server, Setup};

#[tokio::test]
async fn an_invalid_file_refuses_play_with_422_and_a_fixed_file_plays() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "2")],
        cartridge: true,
        ..Setup::default()
    });
    let config = project.path().join("prometeu-session.toml");
    let valid = std::fs::read_to_string(&config).expect("config");
    let server = Server::start(&project, &[]);
    let client = server.client();

    let broken = valid.replace("stop_grace = \"500ms\"", "stop_grace = \"soon\"");
    assert_ne!(broken, valid);
    std::fs::write(&config, &broken).expect("break the file");
    // What the command line says about that file, as its exit-2 line.
    let (code, _, stderr) = project.run("prepare", &["--format", "json"]);
    assert_eq!(code, 2, "{stderr}");
    let cli_line = stderr
        .trim_end()
        .strip_prefix("prometeu-session: error: ")
        .expect("one error line")
        .to_owned();

    for body in ["", r#"{"goal":"prepare"}"#] {
        let reply = client.post("/v1/play", body).await;
        assert_eq!(
            reply.status,
            422,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert_eq!(reply.content_type(), "application/problem+json");
        let problem = reply.json();
        assert_eq!(problem["status"], 422);
        let detail = problem["detail"].as_str().expect("detail");
        assert!(!detail.contains('\n'), "one line: {detail}");
        assert!(detail.contains("[session] stop_grace"), "{detail}");
        assert_eq!(detail, cli_line, "the CLI's line");
    }
    let snapshot = client.snapshot().await;
    assert_eq!(
        (snapshot["state"].as_str(), snapshot["run"].as_u64()),
        (Some("idle"), Some(0))
    );
    // Told also as a session error line.
    let told: Vec<Item> = client.dump("source=session&min_severity=error").await;
    assert!(
        told.iter()
            .any(|item| item.json["message"].as_str() == Some(cli_line.as_str())),
        "{told:?}"
    );

    std::fs::write(&config, &valid).expect("fix the file");
    let ended = client.play_to_end().await;
    assert_eq!(
        (ended["state"].as_str(), ended["run"].as_u64()),
        (Some("stopped"), Some(1))
    );
    drop(server);
    project.assert_nothing_alive();
}
