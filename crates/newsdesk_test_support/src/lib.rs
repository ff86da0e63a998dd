//! Real databases for tests, one isolated store per test.
//!
//! - SQLite: a fresh file in a temporary folder, deleted with the [`TestDb`].
//! - PostgreSQL: a fresh schema in the database named by
//!   `NEWSDESK_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`),
//!   selected through `search_path` and dropped with the [`TestDb`].
//!
//! When the variable is unset, PostgreSQL tests are skipped with a message,
//! except under `CI=true`, where a missing PostgreSQL fails the test: CI must
//! never pass by testing one backend only.

use newsdesk_db::Database;
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "NEWSDESK_TEST_POSTGRES_URL";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A migrated, empty store that cleans up after itself.
pub struct TestDb {
    /// The store.
    pub db: Database,
    /// A temporary folder for files (SQLite database, media).
    pub dir: tempfile::TempDir,
    /// The URL the store was opened with (for tests that open it again).
    pub url: String,
    /// The PostgreSQL server and schema to drop afterwards, if any.
    pub pg_schema: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    /// A store of `kind`, or `None` when PostgreSQL is not configured and
    /// this is not CI (the test should return early).
    pub async fn new(kind: Kind) -> anyhow::Result<Option<TestDb>> {
        TestDb::at_version(kind, i64::MAX).await
    }

    /// Like [`TestDb::new`], with the schema migrated only up to `version`
    /// (for tests of upgrades).
    pub async fn at_version(kind: Kind, version: i64) -> anyhow::Result<Option<TestDb>> {
        let t = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}/test.db", dir.path().display());
                let db = Database::connect(&url).await?;
                TestDb { db, dir, url, pg_schema: None }
            }
            Kind::Postgres => match TestDb::postgres_unmigrated().await? {
                Some(t) => t,
                None => return Ok(None),
            },
        };
        t.db.migrate_to(version).await?;
        Ok(Some(t))
    }

    /// A fresh SQLite store.
    pub async fn sqlite() -> anyhow::Result<TestDb> {
        TestDb::at_version(Kind::Sqlite, i64::MAX)
            .await?
            .ok_or_else(|| anyhow::anyhow!("SQLite always runs"))
    }

    /// A fresh PostgreSQL schema, or `None` (see the crate docs).
    pub async fn postgres() -> anyhow::Result<Option<TestDb>> {
        TestDb::at_version(Kind::Postgres, i64::MAX).await
    }

    async fn postgres_unmigrated() -> anyhow::Result<Option<TestDb>> {
        let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                anyhow::bail!(
                    "{POSTGRES_URL_VAR} is not set: under CI the PostgreSQL suite must run"
                );
            }
            eprintln!("skipping: set {POSTGRES_URL_VAR} to run the PostgreSQL variant");
            return Ok(None);
        };
        let schema = format!(
            "t_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos()
        );
        let admin = PgConnectOptions::from_str(&base)?;
        let mut conn = admin.connect().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await?;
        let opts = PgConnectOptions::from_str(&base)?.options([("search_path", schema.as_str())]);
        let db = Database::connect_postgres(opts).await?;
        let url = format!(
            "{base}{}options=-csearch_path%3D{schema}",
            if base.contains('?') { "&" } else { "?" }
        );
        let dir = tempfile::tempdir()?;
        Ok(Some(TestDb { db, dir, url, pg_schema: Some((base, schema)) }))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, schema)) = self.pg_schema.take() else { return };
        // Drop runs inside the test's runtime; a separate thread with its own
        // runtime can block on the cleanup without stalling it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async move {
                let mut conn = PgConnectOptions::from_str(&base).ok()?.connect().await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Runs an async test body against SQLite and PostgreSQL:
///
/// ```ignore
/// db_test!(publishes_an_article, |t| async move { ...; Ok(()) });
/// ```
///
/// expands to two `#[tokio::test]`s, `publishes_an_article::sqlite` and
/// `publishes_an_article::postgres`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                let Some(t) = $crate::TestDb::new($crate::Kind::Sqlite).await? else {
                    return Ok(());
                };
                ($body)(t).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                let Some(t) = $crate::TestDb::new($crate::Kind::Postgres).await? else {
                    return Ok(());
                };
                ($body)(t).await
            }
        }
    };
}

/// A PostgreSQL server of a test's own, in a temporary folder on a free
/// port, for tests that stop, freeze or restart the database (which must
/// never be done to the shared server other tests use).
///
/// Needs PostgreSQL's server binaries (`/usr/lib/postgresql/*/bin`, Debian's
/// `postgresql` package, which `.ci/run` installs). Runs as the `postgres`
/// user when the test runs as root, as `initdb` refuses root.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePostgres {
    /// Creates and starts a server; `None` (with a message) when the
    /// binaries are missing and this is not CI, where it is an error.
    pub fn start() -> anyhow::Result<Option<PrivatePostgres>> {
        let bin = std::fs::read_dir("/usr/lib/postgresql").ok().and_then(|d| {
            let mut v: Vec<_> = d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect();
            v.sort();
            v.into_iter().rev().find(|p| p.join("initdb").is_file())
        });
        let Some(bin) = bin else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                anyhow::bail!(
                    "PostgreSQL server binaries are missing (apt-get install postgresql)"
                );
            }
            eprintln!("skipping: no PostgreSQL server binaries under /usr/lib/postgresql");
            return Ok(None);
        };
        let uid = std::process::Command::new("id").arg("-u").output()?;
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let pg = PrivatePostgres { dir, bin, port, as_postgres };
        if as_postgres {
            let status = std::process::Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(pg.dir.path())
                .status()?;
            anyhow::ensure!(status.success(), "chown of the cluster folder failed");
        }
        let data = pg.data_dir();
        pg.run(&[
            "initdb",
            "-D",
            &data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ])?;
        pg.start_again()?;
        Ok(Some(pg))
    }

    fn data_dir(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        let program = self.bin.join(args[0]);
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            std::process::Command::new(&program)
        };
        let out = cmd.args(&args[1..]).output()?;
        anyhow::ensure!(
            out.status.success(),
            "{} failed: {}{}",
            args[0],
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server (again), waiting until it accepts connections.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let data = self.data_dir();
        let log = self.dir.path().join("log").display().to_string();
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.run(&["pg_ctl", "-D", &data, "-l", &log, "-o", &opts, "-w", "start"])
    }

    /// Freezes the server and every backend (SIGSTOP), as a hung machine
    /// would: connections stay open and nothing answers.
    pub fn freeze(&self) -> anyhow::Result<()> {
        self.signal("-STOP")
    }

    /// Lets a frozen server run again (SIGCONT).
    pub fn thaw(&self) -> anyhow::Result<()> {
        self.signal("-CONT")
    }

    fn signal(&self, sig: &str) -> anyhow::Result<()> {
        let pid_file = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid"))?;
        let pid = pid_file.lines().next().unwrap_or_default().trim().to_owned();
        anyhow::ensure!(!pid.is_empty(), "no postmaster pid");
        let children = std::process::Command::new("pgrep").args(["-P", &pid]).output()?;
        let mut pids: Vec<String> = String::from_utf8_lossy(&children.stdout)
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        pids.push(pid);
        let status = std::process::Command::new("kill").arg(sig).args(&pids).status()?;
        anyhow::ensure!(status.success(), "kill {sig} failed");
        Ok(())
    }

    /// Stops the server at once, as a crash or an operator would: clients
    /// lose their connections.
    pub fn stop(&self) -> anyhow::Result<()> {
        let data = self.data_dir();
        self.run(&["pg_ctl", "-D", &data, "-m", "immediate", "-w", "stop"])
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.run(&["pg_ctl", "-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

/// Sample pictures for media tests: real JPEG files, made here, and the
/// metadata blocks (EXIF, IPTC, XMP) that go into them.
pub mod photos {
    /// A `w` × `h` JPEG (a gradient with a stripe whose shade is `seed`, so
    /// different seeds give different files) carrying, when given, IPTC
    /// credit, caption and copyright, an EXIF artist with GPS coordinates,
    /// and an XMP digital source type.
    pub fn jpeg(w: u16, h: u16, seed: u8, meta: &Meta<'_>) -> Vec<u8> {
        let mut segments: Vec<(u8, Vec<u8>)> = Vec::new();
        if let Some(artist) = meta.artist {
            segments.push((0xE1, exif_block(1, artist.as_bytes())));
        }
        let iptc: Vec<(u8, &[u8])> =
            [(110, meta.credit), (120, meta.caption), (116, meta.copyright)]
                .into_iter()
                .filter_map(|(d, v)| v.map(|v| (d, v.as_bytes())))
                .collect();
        if !iptc.is_empty() {
            segments.push((0xED, iptc_block(&iptc)));
        }
        if let Some(t) = meta.source_type {
            segments.push((
                0xE1,
                xmp_block(&format!(
                    "<Iptc4xmpExt:DigitalSourceType rdf:resource=\"http://cv.iptc.org/newscodes/digitalsourcetype/{t}\"/>"
                )),
            ));
        }
        with_segments(&plain_jpeg(w, h, seed), &segments)
    }

    /// A `w` × `h` JPEG with no metadata: a gradient with a stripe whose
    /// shade is `seed`.
    pub fn plain_jpeg(w: u16, h: u16, seed: u8) -> Vec<u8> {
        let mut px = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
        for y in 0..h {
            for x in 0..w {
                let stripe = if x % 40 < 8 { seed } else { 0 };
                px.extend([
                    (u32::from(x) * 255 / u32::from(w.max(1))) as u8,
                    (u32::from(y) * 255 / u32::from(h.max(1))) as u8,
                    stripe.wrapping_add(60),
                ]);
            }
        }
        let mut out = Vec::new();
        let enc = jpeg_encoder::Encoder::new(&mut out, 85);
        if enc.encode(&px, w, h, jpeg_encoder::ColorType::Rgb).is_err() {
            return Vec::new();
        }
        out
    }

    /// What [`jpeg`] writes into the file.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Meta<'a> {
        /// IPTC credit line.
        pub credit: Option<&'a str>,
        /// IPTC caption.
        pub caption: Option<&'a str>,
        /// IPTC copyright notice.
        pub copyright: Option<&'a str>,
        /// EXIF artist (written with a GPS latitude).
        pub artist: Option<&'a str>,
        /// XMP digital source type code, e.g. `trainedAlgorithmicMedia`.
        pub source_type: Option<&'a str>,
    }

    /// `jpeg` with `(marker, body)` segments inserted right after its SOI.
    pub fn with_segments(jpeg: &[u8], segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = jpeg[..2.min(jpeg.len())].to_vec();
        for (marker, body) in segments {
            out.extend([0xFF, *marker]);
            out.extend(u16::try_from(body.len() + 2).unwrap_or(u16::MAX).to_be_bytes());
            out.extend(body);
        }
        out.extend(jpeg.get(2..).unwrap_or_default());
        out
    }

    /// An APP13 body: IIM record 2 `(dataset, value)`s in a Photoshop
    /// `8BIM` resource, as Photoshop writes them (the IIM alone starts 14
    /// bytes in, after `Photoshop 3.0\0`).
    pub fn iptc_block(fields: &[(u8, &[u8])]) -> Vec<u8> {
        let mut iim = Vec::new();
        for (dataset, value) in fields {
            iim.extend([0x1C, 2, *dataset]);
            iim.extend(u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
            iim.extend(*value);
        }
        let mut out = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
        out.extend(u32::try_from(iim.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend(&iim);
        if iim.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    /// An APP1 EXIF body (little-endian TIFF): IFD0 with `orientation`, an
    /// Artist, and a GPS directory holding a latitude.
    pub fn exif_block(orientation: u16, artist: &[u8]) -> Vec<u8> {
        let mut artist = artist.to_vec();
        artist.push(0);
        // Header (8) + IFD0: count (2) + 3 entries (36) + next (4) = 50.
        let artist_at = 50u32;
        let gps_at = artist_at + u32::try_from(artist.len()).unwrap_or(0);
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend(3u16.to_le_bytes());
        let entry = |t: &mut Vec<u8>, tag: u16, ty: u16, count: u32, value: [u8; 4]| {
            t.extend(tag.to_le_bytes());
            t.extend(ty.to_le_bytes());
            t.extend(count.to_le_bytes());
            t.extend(value);
        };
        let o = orientation.to_le_bytes();
        entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
        let n = u32::try_from(artist.len()).unwrap_or(0);
        entry(&mut t, 0x013B, 2, n, artist_at.to_le_bytes());
        entry(&mut t, 0x8825, 4, 1, gps_at.to_le_bytes());
        t.extend(0u32.to_le_bytes());
        t.extend(&artist);
        t.extend(1u16.to_le_bytes());
        entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
        t.extend(0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(t);
        app1
    }

    /// An APP1 XMP body: `props` inside one `rdf:Description` with the
    /// `dc`, `photoshop` and `Iptc4xmpExt` namespaces bound.
    pub fn xmp_block(props: &str) -> Vec<u8> {
        let mut out = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        out.extend(format!(
            r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">{props}</rdf:Description></rdf:RDF></x:xmpmeta>"#
        ).as_bytes());
        out
    }
}

/// Hostile strings in classes: script elements, event handlers, script
/// and data URLs, SVG and MathML, frames and `srcdoc`, CSS, broken and
/// mutating markup, breakouts from attributes, JSON and templates, and
/// Markdown links. Each would run `alert(1)` if it ever became markup.
/// Every writer's tests (the back office's forms and editor, the APIs) put
/// them in the fields they take; every output must show them as text.
pub fn xss_corpus() -> Vec<String> {
    let p = "alert(1)";
    let mut v: Vec<String> = [
        "<script>§</script>",
        "<SCRIPT>§</SCRIPT>",
        "<script src=//x.test/x.js></script>",
        "<script>/*</script>*/§</script>",
        "\"><script>§</script>",
        "'><script>§</script>",
        "</textarea><script>§</script>",
        "</title><script>§</script>",
        "</script><script>§</script>",
        "<scr<script>ipt>§</scr</script>ipt>",
        "<script type=module>§</script>",
        "<svg><script>§</script></svg>",
        "<svg><animate onbegin=§ attributeName=x dur=1s>",
        "<svg><a xlink:href=\"javascript:§\"><text y=20>x</text></a></svg>",
        "<svg><foreignObject><img src=x onerror=§></foreignObject></svg>",
        "<svg><set attributeName=onload to=§>",
        "<math><mtext><table><mglyph><style><img src=x onerror=§>",
        "<math href=\"javascript:§\">x</math>",
        "<math><maction actiontype=statusline xlink:href=javascript:§>x</maction></math>",
        "<iframe srcdoc=\"<script>parent.§</script>\"></iframe>",
        "<iframe src=\"javascript:§\"></iframe>",
        "<object data=\"javascript:§\"></object>",
        "<embed src=\"javascript:§\">",
        "<base href=\"javascript:/\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:§\">",
        "<form action=\"javascript:§\"><button>x</button></form>",
        "<button formaction=\"javascript:§\">x</button>",
        "<isindex action=javascript:§ type=submit>",
        "<style>@import 'javascript:§';</style>",
        "<div style=\"background:url(javascript:§)\">x</div>",
        "<div style=\"width:expression(§)\">x</div>",
        "<link rel=stylesheet href=\"javascript:§\">",
        "<style>*{x:expression(§)}</style>",
        "<img src=\"x",
        "<<img src=x onerror=§>>",
        "<img src=x onerror=§//",
        "<img/src=x/onerror=§>",
        "<img src=x onerror=\"§\"",
        "<noscript><p title=\"</noscript><img src=x onerror=§>\">",
        "<!--<img src=x onerror=§>-->",
        "<![CDATA[<img src=x onerror=§>]]>",
        "<a href=x onmouseover=§>x</a>",
        "<a href=\"javascript:§\">x</a>",
        "<a href=\"JaVaScRiPt:§\">x</a>",
        "<a href=\"java\tscript:§\">x</a>",
        "<a href=\"&#106;avascript:§\">x</a>",
        "<a href=\"javascript&colon;§\">x</a>",
        "<a href=\"data:text/html,<script>§</script>\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "\" onfocus=\"§\" autofocus=\"",
        "' onfocus='§' autofocus='",
        "\"><img src=x onerror=§>",
        "</script><img src=x onerror=§>",
        "\\u003cscript\\u003eP\\u003c/script\\u003e",
        "\"};§;//",
        "';§;//",
        "${§}",
        "{{§}}",
        "{% raw %}<img src=x onerror=§>{% endraw %}",
        "[x](javascript:§)",
        "[x](JAVASCRIPT:§)",
        "[x](data:text/html,<script>§</script>)",
        "![x](javascript:§)",
        "<javascript:§>",
        "[x]( javascript:§)",
        "[x](java%0ascript:§)",
        "[x](//evil.test)",
        "&lt;script&gt;§&lt;/script&gt;",
        "&#60;script&#62;§&#60;/script&#62;",
        "<scri\u{0}pt>§</script>",
        "\u{202e}<script>§</script>",
        "<template><script>§</script></template>",
        "<xmp><script>§</script></xmp>",
        "<plaintext><script>§</script>",
        "<listing>&lt;img src=x onerror=§&gt;</listing>",
    ]
    .iter()
    .map(|s| s.replace('§', p))
    .collect();
    // Event handlers on the elements that fire them by themselves.
    let tags = [
        "img src=x",
        "svg",
        "body",
        "iframe",
        "video src=x",
        "audio src=x",
        "details open",
        "input autofocus",
        "select autofocus",
        "textarea autofocus",
        "marquee",
        "object data=x",
        "image src=x",
        "style",
        "div",
        "a href=#",
        "button autofocus",
        "embed src=x",
        "keygen autofocus",
        "frameset",
    ];
    let events = ["onerror", "onload", "onfocus", "ontoggle"];
    for t in tags {
        for e in events {
            v.push(format!("<{t} {e}={p}>"));
        }
    }
    v
}
