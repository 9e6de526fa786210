//! Starts Debian's `apache2` on a free 127.0.0.1 port with a generated configuration, for
//! integration tests and the demo: our module loaded, an MPM chosen by the caller, a document
//! root in a temporary directory, and the caller's configuration fragment.
//!
//! [`Apache`] waits until the server answers, exposes its base URL and error log, and stops
//! it by PID on drop (its own process group, so no child is left behind, even when a test
//! panics). Each server has its own directory and port, so tests can run in parallel.
//! Depends on none of the project's crates.

mod client;
mod config;

pub use client::{http_get, http_request, Response};
pub use config::{Mpm, ServerSpec};

use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Apache binary.
pub const APACHE: &str = "/usr/sbin/apache2";
/// Where Debian keeps Apache's modules.
pub const MODULES_DIR: &str = "/usr/lib/apache2/modules";
/// The reference: Debian's mod_python 3.5 (`libapache2-mod-python`), the oracle our module is
/// compared with.
pub const REFERENCE_MODULE: &str = "/usr/lib/apache2/modules/mod_python.so";

/// A running Apache.
pub struct Apache {
    child: Option<Child>,
    port: u16,
    root: tempfile::TempDir,
}

/// Why a server did not start.
#[derive(Debug)]
pub struct StartError {
    /// What happened.
    pub message: String,
    /// The error log (and Apache's stderr) at that moment.
    pub log: String,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n--- error log ---\n{}", self.message, self.log)
    }
}

impl std::error::Error for StartError {}

/// Process groups of the servers this process started and has not stopped yet. Servers kept
/// in statics are never dropped, so an `atexit` handler stops whatever is left.
static LIVE: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

extern "C" fn stop_leftovers() {
    let pids = std::mem::take(&mut *LIVE.lock().unwrap_or_else(|p| p.into_inner()));
    for pid in pids {
        // The group is theirs (process_group(0) at spawn).
        // SAFETY: signalling and reaping servers this process started, by PID.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut status = 0;
            while libc::waitpid(pid, &mut status, libc::WNOHANG) == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            libc::kill(-pid, libc::SIGKILL);
            libc::waitpid(pid, &mut status, libc::WNOHANG);
        }
    }
}

fn track(pid: i32) {
    static REGISTER: std::sync::Once = std::sync::Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registering a plain extern "C" function that only signals and returns.
        unsafe { libc::atexit(stop_leftovers) };
    });
    LIVE.lock().unwrap_or_else(|p| p.into_inner()).push(pid);
}

fn untrack(pid: i32) {
    LIVE.lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|&p| p != pid);
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> io::Result<u16> {
    // The kernel may hand the same port out again once its socket is closed: never give one
    // twice in a process, so a test's extra `Listen` and its server's port cannot collide.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    for _ in 0..100 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if !given.contains(&port) {
            given.push(port);
            return Ok(port);
        }
    }
    Err(io::Error::new(io::ErrorKind::AddrInUse, "no new free port"))
}

/// The module under test: `$MOD_PYTHON_SO`, else the newest `libmod_python.so` in the
/// workspace's target directory (debug or release).
pub fn module_path() -> PathBuf {
    if let Ok(p) = std::env::var("MOD_PYTHON_SO") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    let candidates = ["debug", "release"].map(|p| target.join(p).join("libmod_python.so"));
    candidates
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.modified().ok()?, p.clone())))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| candidates[0].clone())
}

fn make_readable(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            make_readable(&entry?.path())?;
        }
    }
    Ok(())
}

impl Apache {
    /// Writes the files and configuration of `spec`, starts Apache and waits until it answers.
    ///
    /// # Errors
    /// When Apache refuses the configuration, exits, or does not answer within 30 s.
    pub fn start(spec: &ServerSpec) -> Result<Apache, StartError> {
        let mut last = None;
        for _ in 0..5 {
            match Apache::start_once(spec) {
                Ok(a) => return Ok(a),
                Err(e) if e.log.contains("Address already in use") => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| StartError {
            message: "no port".into(),
            log: String::new(),
        }))
    }

    fn start_once(spec: &ServerSpec) -> Result<Apache, StartError> {
        let fail = |message: String| StartError {
            message,
            log: String::new(),
        };
        let root = tempfile::Builder::new()
            .prefix("test-httpd-")
            .tempdir()
            .map_err(|e| fail(format!("tempdir: {e}")))?;
        let port = spec
            .port
            .map_or_else(free_port, Ok)
            .map_err(|e| fail(format!("port: {e}")))?;
        let conf = spec
            .write(root.path(), port)
            .map_err(|e| fail(format!("config: {e}")))?;
        make_readable(root.path()).map_err(|e| fail(format!("chmod: {e}")))?;
        let stderr = std::fs::File::create(root.path().join("stderr.log"))
            .map_err(|e| fail(format!("stderr log: {e}")))?;
        use std::os::unix::process::CommandExt;
        let child = Command::new(APACHE)
            .arg("-d")
            .arg(root.path())
            .arg("-f")
            .arg(&conf)
            .arg("-DFOREGROUND")
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .map_err(|e| {
                fail(format!(
                    "cannot run {APACHE}: {e} (apt-get install apache2)"
                ))
            })?;
        track(child.id() as i32);
        let mut apache = Apache {
            child: Some(child),
            port,
            root,
        };
        apache.wait_ready(Duration::from_secs(30))?;
        Ok(apache)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    untrack(child.id() as i32);
                    self.child = None;
                    return Err(StartError {
                        message: format!("apache2 exited during start-up ({status})"),
                        log: self.error_log(),
                    });
                }
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(StartError {
                    message: "apache2 did not answer within the deadline".into(),
                    log: self.error_log(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's directory (ServerRoot); the document root is `htdocs/` in it.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The parent process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The error log so far, followed by anything Apache wrote to stderr.
    pub fn error_log(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.root.path().join(name)).unwrap_or_default();
        format!("{}{}", read("error.log"), read("stderr.log"))
    }

    /// `GET path`.
    ///
    /// # Errors
    /// On a connection failure or an unparseable response.
    pub fn get(&self, path: &str) -> io::Result<Response> {
        http_get(self.port, path)
    }

    /// Sends raw request bytes and reads the response.
    ///
    /// # Errors
    /// On a connection failure or an unparseable response.
    pub fn request(&self, raw: &[u8]) -> io::Result<Response> {
        http_request(self.port, raw)
    }

    /// Stops the server: SIGTERM to the parent, then SIGKILL to its process group if it has
    /// not exited within 10 s.
    pub fn stop(&mut self) {
        self.stop_with(libc::SIGTERM);
    }

    /// Stops the server as `apachectl -k graceful-stop` does (SIGWINCH to the parent): the
    /// children finish the connections they hold before they exit; SIGKILL to the process
    /// group if it has not exited within 10 s. An ungraceful stop of the event MPM can
    /// crash a child in Apache itself (its main thread shuts down a worker's socket while
    /// the worker frees it), so tests that count crash lines after load stop this way.
    pub fn stop_gracefully(&mut self) {
        self.stop_with(libc::SIGWINCH);
    }

    fn stop_with(&mut self, signal: libc::c_int) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as i32;
        // SAFETY: signalling the process we started (and its group), by its PID.
        unsafe { libc::kill(pid, signal) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: as above; the group is ours (process_group(0) at spawn).
        unsafe { libc::kill(-pid, libc::SIGKILL) };
        let _ = child.wait();
        untrack(pid);
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            eprintln!(
                "--- apache error log ({}) ---\n{}",
                self.root.path().display(),
                self.error_log()
            );
        }
    }
}

/// Runs `apache2 -t` over a configuration built from `spec`; returns (success, output).
///
/// # Errors
/// When the files cannot be written or apache2 cannot run.
pub fn config_test(spec: &ServerSpec) -> io::Result<(bool, String)> {
    let root = tempfile::Builder::new().prefix("test-httpd-").tempdir()?;
    let conf = spec.write(root.path(), free_port()?)?;
    let out = Command::new(APACHE)
        .arg("-d")
        .arg(root.path())
        .arg("-f")
        .arg(&conf)
        .arg("-t")
        .output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}
