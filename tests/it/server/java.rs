//! The Java example of `docs/server.md` compiles with `javac` (Java 17's `HttpClient`, no
//! library), so the Studio's engineers can start from it as it is.

use std::path::Path;
use std::process::Command;

#[test]
fn the_java_example_compiles() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/server.md"))
            .expect("read docs/server.md");
    let source = page
        .split("```java\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a java block");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("FollowEvents.java");
    std::fs::write(&file, source).expect("write");
    let output = match Command::new("javac")
        .args(["--release", "17", "-Xlint:all", "-Werror", "-d"])
        .arg(dir.path())
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        // Machines without a JDK cannot check it; say so rather than fail.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("javac is not installed: the Java example was not compiled");
            return;
        }
        Err(error) => panic!("cannot run javac: {error}"),
    };
    assert!(
        output.status.success(),
        "javac: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("FollowEvents.class").exists());
}
