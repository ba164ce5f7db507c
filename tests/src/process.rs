//! Processes of the tests: free ports, waiting with a bound, and daemons stopped the way an
//! operator stops them (their own stop signal, a bounded wait, SIGKILL only after the deadline),
//! so no test leaves a process behind, and no nginx worker keeps a port.
//!
//! Nothing here sleeps to synchronise: every wait polls a condition against a deadline.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A port that was free a moment ago, on 127.0.0.1 and ::1, for a server of the tests.
///
/// It is taken below the kernel's range of ephemeral ports (`ip_local_port_range`), so no
/// connection on the machine gets it as its source port. With a port from that range (what
/// binding port 0 gives), a capture of `tcp port P` also caught, now and then, another test's
/// connection that had been given P as its source port, and counted it as one more
/// connection to the server.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;
    static NEXT: OnceLock<AtomicU32> = OnceLock::new();
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    let first = low.saturating_sub(12_000).max(1_024);
    let count = low.saturating_sub(first);
    if count < 1_000 {
        // No room below the ephemeral range on this machine: any free port.
        return TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
    }
    // Each test process starts at its own place, then goes up one port at a time.
    let next = NEXT.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        AtomicU32::new(std::process::id().wrapping_mul(7_919) ^ nanos)
    });
    for _ in 0..count {
        let port = first + next.fetch_add(1, Ordering::Relaxed) % count;
        let port = u16::try_from(port).expect("a port below the ephemeral range");
        let v6_ok = match TcpListener::bind(("::1", port)) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::AddrNotAvailable,
        };
        if v6_ok && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {first}..{low}");
}

/// Polls `ready` every 20 ms for up to `limit`; whether it became true.
pub fn poll(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

/// Waits up to 10 s until something accepts on 127.0.0.1:`port`; panics if `child` exits first.
pub fn wait_port(port: u16, child: &mut Child, what: &str) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut exited = None;
    let up = poll(Duration::from_secs(10), || {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        exited = child.try_wait().ok().flatten();
        exited.is_some()
    });
    if let Some(status) = exited {
        panic!("{what} exited before listening: {status}");
    }
    assert!(up, "{what} is not listening on {port} after 10 s");
}

/// Sends `signal` (a name: TERM, INT, QUIT...) to process `pid`.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// How long a daemon has to stop on its stop signal before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// A child process (listening on `port`, 0 if none) stopped when dropped: its stop signal,
/// then a bounded wait for it to exit, and SIGKILL only if the deadline passes.
#[derive(Debug)]
pub struct Daemon {
    pub child: Child,
    pub port: u16,
    stop_signal: &'static str,
}

impl Daemon {
    /// A daemon stopped with SIGTERM.
    pub fn new(child: Child, port: u16) -> Self {
        Self::stopped_by(child, port, "TERM")
    }

    /// A daemon stopped with `signal`: QUIT for nginx (graceful shutdown of master and workers),
    /// INT for tshark and dumpcap (they close the file and exit).
    pub fn stopped_by(child: Child, port: u16, signal: &'static str) -> Self {
        Daemon {
            child,
            port,
            stop_signal: signal,
        }
    }

    /// Stops the daemon (see [`Daemon`]) and returns how it ended, `None` if it had to be
    /// killed or could not be waited for.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        if signal(self.child.id(), self.stop_signal) {
            let mut status = None;
            poll(STOP_DEADLINE, || {
                status = self.child.try_wait().ok().flatten();
                status.is_some()
            });
            if status.is_some() {
                return status;
            }
            eprintln!(
                "pid {} did not exit within {STOP_DEADLINE:?} of SIG{}: killing it",
                self.child.id(),
                self.stop_signal
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads `child`'s piped stdout on a thread of its own: returns the lines printed before the
/// first line equal to `marker` (waiting up to `limit`; panics with what was printed if it does
/// not come), and the receiver of the lines printed after it.
pub fn stdout_until(
    child: &mut Child,
    marker: &str,
    limit: Duration,
) -> (Vec<String>, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line == marker => return (lines, rx),
            Ok(line) => lines.push(line),
            Err(e) => panic!(
                "no line `{marker}` within {limit:?} ({e}); printed:\n{}\n{}",
                lines.join("\n"),
                exited(child)
            ),
        }
    }
}

/// How `child` ended, with its standard error when piped, or that it still runs: a daemon
/// that never got ready says why.
fn exited(child: &mut Child) -> String {
    use std::io::Read;
    // A child that closed its output is likely exiting: give it a moment, polled.
    let deadline = Instant::now() + Duration::from_secs(2);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(None) => return "(it is still running)".to_string(),
            Err(e) => return format!("(its status is unknown: {e})"),
        }
    };
    let Some(mut stderr) = child.stderr.take() else {
        return format!("it exited ({status})");
    };
    // Read on a thread, within a bound: a process it started may still hold the pipe open.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        let _ = tx.send(text);
    });
    let text = rx
        .recv_timeout(Duration::from_secs(5))
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .unwrap_or_else(|_| "(its standard error stayed open)".to_string());
    format!("it exited ({status}); its standard error:\n{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test servers' ports stay out of the kernel's ephemeral range, and differ from one
    /// call to the next.
    #[test]
    fn free_ports_are_below_the_ephemeral_range() {
        let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        assert!(
            ports.iter().all(|&p| p < low),
            "{ports:?} (range from {low})"
        );
        let distinct: std::collections::BTreeSet<_> = ports.iter().collect();
        assert_eq!(distinct.len(), ports.len(), "{ports:?}");
    }

    /// A daemon that dies before its ready line: the panic says how it ended and what it wrote
    /// to standard error, not only that the line did not come.
    #[test]
    fn a_child_that_never_gets_ready_says_why() {
        let mut child = Command::new("sh")
            .args([
                "-c",
                "echo starting; echo 'cannot bind 127.0.0.1:1' >&2; exit 3",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sh");
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            stdout_until(&mut child, "ready", Duration::from_secs(10))
        }))
        .expect_err("no ready line: a panic");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("starting"), "{message}");
        assert!(message.contains("exit status: 3"), "{message}");
        assert!(message.contains("cannot bind 127.0.0.1:1"), "{message}");
    }
}
