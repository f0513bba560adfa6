//! Runs the suite as `groupbuy up` does, each service its own process, and talks to it over HTTP
//! as its outside parties would.

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A free port for each service, in the order catalog, groups, payments, shipping, bidding.
pub fn suite_ports() -> [(&'static str, u16); 5] {
    ["catalog", "groups", "payments", "shipping", "bidding"].map(|name| (name, free_port()))
}

/// What the launcher is started with besides its data folder and ports: more arguments
/// (`--database …`) and variables its services inherit.
#[derive(Default)]
pub struct Launch {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Starts the launcher and waits until it says the suite is up.
pub fn up(data_dir: &Path, ports: &[(&str, u16)]) -> Child {
    up_with(data_dir, ports, &Launch::default())
}

/// [`up`], started with `launch`.
pub fn up_with(data_dir: &Path, ports: &[(&str, u16)], launch: &Launch) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_groupbuy"));
    command.arg("up").arg("--data-dir").arg(data_dir).args(&launch.args).envs(launch.env.iter().cloned());
    for (name, port) in ports {
        command.args(["--port", &format!("{name}={port}")]);
    }
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    // Drains the launcher's output to the end (a closed pipe would fail its later prints) into
    // `launcher.log` in the data folder, which a failing test leaves behind.
    std::fs::create_dir_all(data_dir).unwrap();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("launcher.log")).unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = writeln!(log, "{line}");
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

pub fn serving(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

pub fn token(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_groupbuy"))
        .arg("token")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Stops the suite as Ctrl-C would and removes its data (kept when a test fails before this).
pub fn stop(mut launcher: Child, data_dir: &Path) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(launcher.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let _ = launcher.wait();
    let _ = std::fs::remove_dir_all(data_dir);
}

/// SIGKILL to every service the launcher started; the launcher then stops (a service died).
pub fn kill_services(launcher: &mut Child) {
    let children = Command::new("pgrep").arg("-P").arg(launcher.id().to_string()).output().unwrap();
    for pid in String::from_utf8_lossy(&children.stdout).split_whitespace() {
        let pid = nix::unistd::Pid::from_raw(pid.parse().unwrap());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
    }
    let _ = launcher.kill();
    let _ = launcher.wait();
}

/// POSTs with `key` until a final answer: through connection errors (a killed service), 5xx and
/// 409 in-flight (a request the dead process left), as a careful client would.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    bearer: &str,
    key: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let sent = client.post(url).bearer_auth(bearer).header("idempotency-key", key).json(body).send().await;
        if let Ok(res) = sent {
            let status = res.status().as_u16();
            let answer: serde_json::Value = res.json().await.unwrap_or_default();
            let in_flight = answer["type"].as_str().is_some_and(|t| t.ends_with("/idempotency-in-flight"));
            if (200..300).contains(&status) {
                return answer;
            }
            assert!(status >= 500 || in_flight, "{url} with key {key}: {status} {answer}");
        }
        assert!(Instant::now() < deadline, "{url} with key {key} never got a final answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn get(client: &reqwest::Client, url: &str, bearer: &str) -> serde_json::Value {
    client.get(url).bearer_auth(bearer).send().await.unwrap().json().await.unwrap()
}

/// Prints a proof's figures and appends them to `GROUPBUY_TEST_REPORT` when set, where
/// `scripts/test` collects them for CI's output (a passing test's own output is not shown).
pub fn report(line: &str) {
    println!("{line}");
    if let Ok(path) = std::env::var("GROUPBUY_TEST_REPORT") {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
        writeln!(file, "{line}").unwrap();
    }
}

/// A small deterministic generator, so that a failing kill schedule can be replayed from its seed.
pub struct Schedule(pub u64);

impl Schedule {
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// The kill schedule's seed: `GROUPBUY_CRASH_SEED`, or the clock, so a failure can be replayed.
pub fn crash_seed() -> u64 {
    std::env::var("GROUPBUY_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
    })
}
