//! `groupbuy up` as a user runs it (PRODUCT.md X8): its services die with it, however it dies.
#![allow(clippy::unwrap_used, clippy::zombie_processes, reason = "tests fail loudly; the child is killed on failure")]

use std::{
    io::{BufRead, BufReader},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts the launcher and waits until it says the suite is up.
fn up(data_dir: &Path, ports: &[(&str, u16)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_groupbuy"));
    command.arg("up").arg("--data-dir").arg(data_dir);
    for (name, port) in ports {
        command.args(["--port", &format!("{name}={port}")]);
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    // Drains the launcher's output to the end: a closed pipe would fail its later prints.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        match received.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.contains("groupbuy is up") => return child,
            Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill();
    panic!("groupbuy up did not come up");
}

fn serving(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

// Issue 8, finding 4: SIGKILL of `groupbuy up` left its services serving and holding their ports,
// and the next `groupbuy up` failed with "Address already in use".
#[test]
fn x8_the_services_die_with_a_killed_launcher_and_a_restart_works() {
    let data_dir = std::env::temp_dir().join(format!("groupbuy-launcher-{}", uuid::Uuid::new_v4()));
    let ports = [("catalog", free_port()), ("payments", free_port()), ("shipping", free_port())];

    let mut first = up(&data_dir, &ports);
    assert!(ports.iter().all(|(_, port)| serving(*port)));
    first.kill().unwrap(); // SIGKILL: the launcher gets no chance to stop anything itself
    first.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while ports.iter().any(|(_, port)| serving(*port)) {
        assert!(Instant::now() < deadline, "services still serving after their launcher was killed");
        std::thread::sleep(Duration::from_millis(100));
    }

    let mut second = up(&data_dir, &ports);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(second.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = second.wait().unwrap();
    assert!(status.success(), "Ctrl-C stops the suite cleanly: {status}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[test]
fn x8_a_port_in_use_is_said_plainly() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let data_dir = std::env::temp_dir().join(format!("groupbuy-launcher-{}", uuid::Uuid::new_v4()));
    let output = Command::new(env!("CARGO_BIN_EXE_groupbuy"))
        .arg("up")
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["--port", &format!("catalog={port}")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is in use"), "{stderr}");
    let _ = std::fs::remove_dir_all(&data_dir);
}
