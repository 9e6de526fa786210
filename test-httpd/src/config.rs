//! The generated `httpd.conf`: only the MPM and the modules a test needs, everything under
//! the server's own temporary directory.

use std::io;
use std::path::{Path, PathBuf};

/// Apache's multi-processing modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mpm {
    /// Threads, with a listener thread for keep-alive connections.
    Event,
    /// Threads.
    Worker,
    /// One process per connection.
    Prefork,
}

impl Mpm {
    /// All three.
    pub const ALL: [Mpm; 3] = [Mpm::Event, Mpm::Worker, Mpm::Prefork];

    fn name(self) -> &'static str {
        match self {
            Mpm::Event => "event",
            Mpm::Worker => "worker",
            Mpm::Prefork => "prefork",
        }
    }

    fn tuning(self) -> &'static str {
        match self {
            Mpm::Event | Mpm::Worker => {
                "StartServers 1\nServerLimit 4\nThreadsPerChild 25\nMaxRequestWorkers 100\n\
                 MinSpareThreads 1\nMaxSpareThreads 100\nThreadLimit 25\n"
            }
            Mpm::Prefork => {
                "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\nMaxRequestWorkers 16\n"
            }
        }
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The MPM.
    pub mpm: Mpm,
    /// The module to load as `python_module` (`None`: do not load it).
    pub module: Option<PathBuf>,
    /// Further Apache modules by name (e.g. `"alias"` loads `mod_alias.so`).
    pub modules: Vec<String>,
    /// Configuration appended at the end: `@ROOT@`, `@DOCROOT@`, `@PORT@`, `@MODULES@`
    /// (Apache's module directory) and each of
    /// [`ServerSpec::vars`] as `@NAME@` are replaced by their values.
    pub config: String,
    /// Further `@NAME@` values for the configuration (see [`ServerSpec::var`]).
    pub vars: Vec<(String, String)>,
    /// Files to create under the document root: (relative path, contents).
    pub files: Vec<(String, String)>,
    /// `LogLevel`.
    pub log_level: String,
    /// A fixed port (`None`: a free one).
    pub port: Option<u16>,
    /// Environment variables set for the Apache processes (e.g. `MALLOC_PERTURB_`).
    pub env: Vec<(String, String)>,
}

impl ServerSpec {
    /// A server with our module loaded, `mpm`, and `config`.
    pub fn new(mpm: Mpm, config: &str) -> ServerSpec {
        ServerSpec {
            mpm,
            module: Some(crate::module_path()),
            modules: Vec::new(),
            config: config.to_string(),
            files: Vec::new(),
            log_level: "info".into(),
            port: None,
            env: Vec::new(),
            vars: Vec::new(),
        }
    }

    /// A site directory: its `site.conf` is the configuration, every other file under it
    /// goes into the document root (text files only).
    ///
    /// # Errors
    /// When the directory or a file in it cannot be read.
    pub fn site(mpm: Mpm, dir: &Path) -> io::Result<ServerSpec> {
        let conf = dir.join("site.conf");
        let mut spec = ServerSpec::new(mpm, &std::fs::read_to_string(&conf).unwrap_or_default());
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    pending.push(path);
                } else if path != conf {
                    let rel = path
                        .strip_prefix(dir)
                        .map_err(|e| io::Error::other(e.to_string()))?
                        .to_string_lossy()
                        .into_owned();
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| io::Error::new(e.kind(), format!("{rel}: {e}")))?;
                    spec = spec.file(&rel, &text);
                }
            }
        }
        Ok(spec)
    }

    /// Sets `@NAME@` in the configuration to `value`.
    pub fn var(mut self, name: &str, value: &str) -> ServerSpec {
        self.vars.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a file under the document root.
    pub fn file(mut self, path: &str, contents: &str) -> ServerSpec {
        self.files.push((path.to_string(), contents.to_string()));
        self
    }

    /// The same server with Debian's mod_python 3.5 loaded instead of ours (only one of the
    /// two may be loaded in a server).
    pub fn with_reference_module(mut self) -> ServerSpec {
        self.module = Some(PathBuf::from(crate::REFERENCE_MODULE));
        self
    }

    /// Sets an environment variable for the Apache processes.
    pub fn env(mut self, name: &str, value: &str) -> ServerSpec {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Loads another Apache module by name.
    pub fn module(mut self, name: &str) -> ServerSpec {
        self.modules.push(name.to_string());
        self
    }

    /// Writes htdocs and `httpd.conf` under `root`; returns the configuration's path.
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn write(&self, root: &Path, port: u16) -> io::Result<PathBuf> {
        let docroot = root.join("htdocs");
        std::fs::create_dir_all(&docroot)?;
        std::fs::create_dir_all(root.join("run"))?;
        for (rel, contents) in &self.files {
            let path = docroot.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, contents)?;
        }
        let m = crate::MODULES_DIR;
        let mut conf = format!(
            "ServerRoot \"{root}\"\nPidFile \"{root}/run/httpd.pid\"\nDefaultRuntimeDir \"{root}/run\"\n\
             Listen 127.0.0.1:{port}\nServerName 127.0.0.1\nErrorLog \"{root}/error.log\"\n\
             LogLevel {level}\nLoadModule mpm_{mpm}_module {m}/mod_mpm_{mpm}.so\n{tuning}\
             LoadModule authz_core_module {m}/mod_authz_core.so\n\
             LoadModule mime_module {m}/mod_mime.so\nTypesConfig /etc/mime.types\n",
            root = root.display(),
            level = self.log_level,
            mpm = self.mpm.name(),
            tuning = self.mpm.tuning(),
        );
        for name in &self.modules {
            conf.push_str(&format!("LoadModule {name}_module {m}/mod_{name}.so\n"));
        }
        if let Some(module) = &self.module {
            conf.push_str(&format!(
                "LoadModule python_module \"{}\"\n",
                module.display()
            ));
        }
        // For debugging crashes: TEST_HTTPD_CORE_DIR=/tmp/cores makes children dump core there.
        if let Ok(dir) = std::env::var("TEST_HTTPD_CORE_DIR") {
            conf.push_str(&format!("CoreDumpDirectory \"{dir}\"\n"));
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            conf.push_str("User www-data\nGroup www-data\n");
        }
        conf.push_str(&format!(
            "DocumentRoot \"{d}\"\n<Directory \"{d}\">\n    Require all granted\n</Directory>\n",
            d = docroot.display()
        ));
        let mut fragment = self
            .config
            .replace("@DOCROOT@", &docroot.display().to_string())
            .replace("@ROOT@", &root.display().to_string())
            .replace("@PORT@", &port.to_string())
            .replace("@MODULES@", crate::MODULES_DIR);
        for (name, value) in &self.vars {
            fragment = fragment.replace(&format!("@{name}@"), value);
        }
        conf.push_str(&fragment);
        conf.push('\n');
        let path = root.join("httpd.conf");
        std::fs::write(&path, conf)?;
        Ok(path)
    }
}
