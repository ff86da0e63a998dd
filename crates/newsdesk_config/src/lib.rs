//! Newsdesk's configuration: built-in defaults, then `newsdesk.toml` in the
//! data directory, then environment variables, then command-line flags (the
//! binary applies the last two with [`Config::apply`]).
//!
//! Unknown keys in the file are errors that name the key, so a typo never
//! silently falls back to a default.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default `Content-Security-Policy` (see
/// [`ServerConfig::content_security_policy`]).
pub const DEFAULT_CSP: &str =
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "newsdesk.toml";

/// A configuration problem, naming the file, key or variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown key or a wrong type.
    #[error("`{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, which names the key.
        message: String,
    },
    /// A value is of the right type but not acceptable.
    #[error("`{key}`: {message}")]
    Invalid {
        /// The key (or environment variable) at fault.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the site listens and how it is reached.
    pub server: ServerConfig,
    /// Which database to use.
    pub database: DatabaseConfig,
    /// What the site calls itself and how it shows dates.
    pub site: SiteConfig,
    /// Where a theme overriding the built-in templates lives.
    pub theme: ThemeConfig,
    /// How background jobs run.
    pub jobs: JobsConfig,
    /// What the media library takes.
    pub media: MediaConfig,
    /// `[api]`: the Content and Admin APIs and webhooks.
    pub api: ApiConfig,
    /// Where the data (database file, media) lives. Not read from the file:
    /// the file itself lives there.
    #[serde(skip)]
    pub data_dir: PathBuf,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: String,
    /// Rendered pages kept in memory at most. Default 2,000.
    pub page_cache_entries: usize,
    /// The `Content-Security-Policy` header of every response. The default
    /// blocks plugins, foreign `<base>` and framing by other sites but leaves
    /// scripts alone, so audit tools that inject scripts keep working; a site
    /// can tighten it, e.g. by adding `script-src 'self'`.
    pub content_security_policy: String,
    /// Seconds a connection may take to send a complete request head, and
    /// may stay idle between requests; slower or silent connections are
    /// closed. Default 5.
    pub request_header_timeout_seconds: u64,
    /// Seconds a client may go without taking any byte of an answer (a
    /// reader that stopped reading) before its connection is closed.
    /// Default 30.
    pub send_timeout_seconds: u64,
    /// Connections served at once; more wait until one closes. Default 0:
    /// derived from the open-file limit, leaving room for the database and
    /// files.
    pub max_connections: usize,
    /// Send cached bodies that are served often with `sendfile` from a
    /// memory file instead of copying them into the socket (Linux; at most
    /// 64 MiB of copies). Default true.
    pub sendfile: bool,
}

/// `[database]`
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path` or `postgres://…`. Default: `newsdesk.db` in the data
    /// directory.
    pub url: Option<String>,
}

/// `[site]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// The publication's name. Default "The Newsdesk Daily".
    pub title: String,
    /// One sentence about the publication.
    pub description: String,
    /// The public base URL, without a trailing slash. Default: `http://` and
    /// the listen address.
    pub url: Option<String>,
    /// BCP 47 language of the content. Default `en`.
    pub language: String,
    /// IANA time zone in which dates are shown and article URLs dated.
    /// Default `UTC`.
    pub timezone: String,
    /// The publication's X/Twitter handle, with `@`. Optional.
    pub twitter: Option<String>,
}

/// `[theme]`
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ThemeConfig {
    /// A folder of templates that override the built-in ones by name.
    pub dir: Option<PathBuf>,
}

/// `[jobs]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Workers each `serve` runs (0 leaves jobs to `newsdesk jobs run`
    /// processes). Default 1.
    pub workers: usize,
    /// Seconds a claimed job stays with its worker without a heartbeat; a
    /// worker that dies loses its job to another after this long. Default 60.
    pub lease_seconds: u64,
}

/// `[api]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Requests a minute one content key may make, per server. Default 600.
    pub content_requests_per_minute: u32,
    /// Requests a minute one admin token may make, per server. Default 120.
    pub admin_requests_per_minute: u32,
    /// Whether webhooks may post to loopback, private and link-local
    /// addresses (receivers on this machine or network). Default false:
    /// a webhook address is a request the server makes, and must not reach
    /// what only the server can reach.
    pub webhooks_allow_private: bool,
    /// Seconds one webhook try may take. Default 10.
    pub webhook_timeout_seconds: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            content_requests_per_minute: 600,
            admin_requests_per_minute: 120,
            webhooks_allow_private: false,
            webhook_timeout_seconds: 10,
        }
    }
}

/// `[media]`
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Largest upload, in megabytes (MiB). Default 20.
    pub max_upload_mb: u64,
    /// Most megapixels an uploaded picture may have; larger ones are
    /// refused from their header, before decoding. Default 50.
    pub max_megapixels: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig { max_upload_mb: 20, max_megapixels: 50 }
    }
}

impl MediaConfig {
    /// The upload limit in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb * 1024 * 1024
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { workers: 1, lease_seconds: 60 }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            page_cache_entries: 2000,
            content_security_policy: DEFAULT_CSP.into(),
            request_header_timeout_seconds: 5,
            send_timeout_seconds: 30,
            max_connections: 0,
            sendfile: true,
        }
    }
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "The Newsdesk Daily".into(),
            description: "News, analysis and reporting from the Newsdesk newsroom.".into(),
            url: None,
            language: "en".into(),
            timezone: "UTC".into(),
            twitter: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            site: SiteConfig::default(),
            theme: ThemeConfig::default(),
            jobs: JobsConfig::default(),
            media: MediaConfig::default(),
            api: ApiConfig::default(),
            data_dir: PathBuf::from("newsdesk-data"),
        }
    }
}

/// Overrides from the environment or the command line; `None` keeps the
/// value below it.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--listen` / `NEWSDESK_LISTEN`.
    pub listen: Option<String>,
    /// `--database` / `NEWSDESK_DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--theme`.
    pub theme_dir: Option<PathBuf>,
}

impl Config {
    /// Reads `newsdesk.toml` from `data_dir` when it exists, else defaults.
    pub fn load(data_dir: &Path) -> Result<Config, ConfigError> {
        let path = data_dir.join(CONFIG_FILE);
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => Config::from_toml(&text)
                .map_err(|message| ConfigError::Parse { path: path.clone(), message })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        config.data_dir = data_dir.to_path_buf();
        Ok(config)
    }

    /// Parses a configuration file's text.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim().to_owned())
    }

    /// Applies overrides (environment first, then flags).
    pub fn apply(&mut self, o: Overrides) {
        if let Some(l) = o.listen {
            self.server.listen = l;
        }
        if let Some(u) = o.database_url {
            self.database.url = Some(u);
        }
        if let Some(t) = o.theme_dir {
            self.theme.dir = Some(t);
        }
    }

    /// Checks values that parse but make no sense, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid =
            |key: &str, message: String| ConfigError::Invalid { key: key.into(), message };
        self.listen_addr()?;
        self.timezone()?;
        if let Some(u) = &self.site.url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(invalid("site.url", format!("`{u}` is not an http(s) URL")));
        }
        if let Some(u) = &self.database.url
            && !(u.starts_with("sqlite:")
                || u.starts_with("postgres://")
                || u.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database.url",
                format!("`{u}` is neither a sqlite: nor a postgres:// URL"),
            ));
        }
        if self.server.content_security_policy.chars().any(|c| c.is_control()) {
            return Err(invalid(
                "server.content_security_policy",
                "must be one line without control characters".into(),
            ));
        }
        if self.server.page_cache_entries == 0 {
            return Err(invalid("server.page_cache_entries", "must be at least 1".into()));
        }
        if !(1..=300).contains(&self.server.request_header_timeout_seconds) {
            return Err(invalid(
                "server.request_header_timeout_seconds",
                "must be between 1 and 300".into(),
            ));
        }
        if !(1..=3600).contains(&self.server.send_timeout_seconds) {
            return Err(invalid(
                "server.send_timeout_seconds",
                "must be between 1 and 3600".into(),
            ));
        }
        if !(1..=60).contains(&self.api.webhook_timeout_seconds) {
            return Err(invalid("api.webhook_timeout_seconds", "must be between 1 and 60".into()));
        }
        if self.jobs.lease_seconds == 0 || self.jobs.lease_seconds > 86_400 {
            return Err(invalid("jobs.lease_seconds", "must be between 1 and 86400".into()));
        }
        if !(1..=1024).contains(&self.media.max_upload_mb) {
            return Err(invalid("media.max_upload_mb", "must be between 1 and 1024".into()));
        }
        if !(1..=1000).contains(&self.media.max_megapixels) {
            return Err(invalid("media.max_megapixels", "must be between 1 and 1000".into()));
        }
        if self.jobs.workers > 64 {
            return Err(invalid("jobs.workers", "must be at most 64".into()));
        }
        Ok(())
    }

    /// The listen address.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.server.listen.parse().map_err(|_| ConfigError::Invalid {
            key: "server.listen".into(),
            message: format!("`{}` is not an address such as 127.0.0.1:8080", self.server.listen),
        })
    }

    /// The site's time zone.
    pub fn timezone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.site.timezone.parse().map_err(|_| ConfigError::Invalid {
            key: "site.timezone".into(),
            message: format!(
                "`{}` is not an IANA time zone such as Europe/London",
                self.site.timezone
            ),
        })
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("newsdesk.db").display()))
    }

    /// The folder media files live in.
    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    /// Where uploads are kept as they came (never served: they may carry
    /// the photographer's location).
    pub fn originals_dir(&self) -> PathBuf {
        self.data_dir.join("originals")
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.site.url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.server.listen),
        }
    }

    /// A configuration for tests: data under `dir`, a fixed time zone.
    pub fn default_for_test(dir: &Path) -> Config {
        let mut c = Config { data_dir: dir.to_path_buf(), ..Config::default() };
        c.site.url = Some("https://news.example".into());
        c.site.timezone = "Europe/London".into();
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_under_the_data_dir() -> Result<(), ConfigError> {
        let dir =
            tempfile::tempdir().map_err(|source| ConfigError::Read { path: ".".into(), source })?;
        let c = Config::load(dir.path())?;
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url(), format!("sqlite://{}/newsdesk.db", dir.path().display()));
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
        c.validate()?;
        Ok(())
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_key() {
        let err = Config::from_toml("[site]\ntitel = \"x\"\n").expect_err("unknown key");
        assert!(err.contains("titel"), "{err}");
        let err = Config::from_toml("colour = 1\n").expect_err("unknown top-level key");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn file_values_then_overrides_apply_in_order() {
        let mut c = Config::from_toml(
            "[server]\nlisten = \"0.0.0.0:9000\"\n[site]\ntitle = \"Daily\"\ntimezone = \"America/New_York\"\n",
        )
        .expect("valid file");
        assert_eq!(c.site.title, "Daily");
        c.apply(Overrides { listen: Some("127.0.0.1:1".into()), ..Overrides::default() });
        assert_eq!(c.server.listen, "127.0.0.1:1");
        assert_eq!(c.timezone().ok(), Some(chrono_tz::America::New_York));
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut c = Config::default();
        c.site.timezone = "Mars/Olympus".into();
        assert_eq!(
            c.validate().expect_err("bad zone").to_string(),
            "`site.timezone`: `Mars/Olympus` is not an IANA time zone such as Europe/London"
        );
        let mut c = Config::default();
        c.server.listen = "localhost".into();
        assert!(c.validate().expect_err("bad addr").to_string().starts_with("`server.listen`"));
        let mut c = Config::default();
        c.database.url = Some("mysql://x".into());
        assert!(c.validate().expect_err("bad db").to_string().starts_with("`database.url`"));
        let c = Config::from_toml("[api]\nwebhook_timeout_seconds = 600\n").expect("valid file");
        let err = c.validate().expect_err("too long").to_string();
        assert!(err.starts_with("`api.webhook_timeout_seconds`"), "{err}");
    }
}
