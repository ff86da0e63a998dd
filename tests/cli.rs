//! The binary as an operator uses it: commands, configuration errors, the
//! demo site, and shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn newsdesk() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    c.env_remove("NEWSDESK_DATA_DIR")
        .env_remove("NEWSDESK_DATABASE_URL")
        .env_remove("NEWSDESK_LISTEN");
    c.env("NEWSDESK_LOG", "warn");
    c
}

fn http_get(addr: &str, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn unknown_config_keys_are_errors_naming_the_key() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("newsdesk.toml"), "[site]\ntitel = \"Typo\"\n")?;
    let out = newsdesk().args(["migrate", "--data-dir"]).arg(dir.path()).output()?;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("titel"), "{err}");
    assert!(err.contains("newsdesk.toml"), "{err}");
    Ok(())
}

#[test]
fn environment_overrides_file_and_flags_override_environment()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("newsdesk.toml"), "[database]\nurl = \"mysql://nope\"\n")?;
    // The file's bad URL fails validation...
    let out = newsdesk().args(["migrate", "--data-dir"]).arg(dir.path()).output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"));
    // ...the environment replaces it...
    let env_db = dir.path().join("env.db");
    let out = newsdesk()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("NEWSDESK_DATABASE_URL", format!("sqlite://{}", env_db.display()))
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(env_db.is_file());
    // ...and a flag replaces both.
    let flag_db = dir.path().join("flag.db");
    let out = newsdesk()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .env("NEWSDESK_DATABASE_URL", format!("sqlite://{}", env_db.display()))
        .arg("--database")
        .arg(format!("sqlite://{}", flag_db.display()))
        .output()?;
    assert!(out.status.success());
    assert!(flag_db.is_file());
    Ok(())
}

#[test]
fn demo_refuses_a_database_with_content() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let run =
        || newsdesk().args(["demo", "--articles", "20", "--data-dir"]).arg(dir.path()).output();
    let first = run()?;
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("Seeded the demo newsroom: 20 articles")
    );
    let second = run()?;
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr)
            .contains("already has content (20 published articles)")
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn serve_demo_serves_the_site_and_stops_on_sigterm() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut child = newsdesk()
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let addr = loop {
        let line = lines.next().ok_or("exited before serving")??;
        if let Some(rest) = line.strip_prefix("Newsdesk is serving http://") {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "took too long to start");
    };
    let home = http_get(&addr, "/")?;
    assert!(home.starts_with("HTTP/1.1 200"), "{}", &home[..home.len().min(300)]);
    assert!(home.contains("Top stories"));
    let article = home
        .split("<h3 class=\"card-title\"><a href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or("no card")?;
    let page = http_get(&addr, article)?;
    assert!(page.starts_with("HTTP/1.1 200"));
    assert!(page.contains("You May Also Like"));
    assert!(http_get(&addr, "/healthz")?.contains("\"status\":\"ok\""));
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(code) = child.try_wait()? {
            assert!(code.success(), "exit status {code:?}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(dir.path().join("newsdesk.db").is_file());
    assert!(dir.path().join("media/demo").is_dir());
    Ok(())
}

/// Starts `newsdesk serve` on a free port with `args` and returns the child
/// and its address once it serves.
fn serve(args: &[&str]) -> Result<(std::process::Child, String), Box<dyn std::error::Error>> {
    let mut child = newsdesk()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let addr = loop {
        let line = lines.next().ok_or("exited before serving")??;
        if let Some(rest) = line.strip_prefix("Newsdesk is serving http://") {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "took too long to start");
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok((child, addr))
}

fn status_of(response: &str) -> &str {
    response.split(' ').nth(1).unwrap_or_default()
}

/// Waits until `path` answers `code`; returns how long that took.
fn wait_for(addr: &str, path: &str, code: &str) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    loop {
        if status_of(&http_get(addr, path)?) == code {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(5) {
            return Err(format!("{path} did not answer {code} within 5 s").into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Publishing and unpublishing from the command line, a second process,
/// reaches a running server's cache within a second.
fn changes_from_the_command_line_reach_a_running_server(
    data: &std::path::Path,
    db_args: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let seeded = newsdesk()
        .args(["demo", "--articles", "20", "--data-dir"])
        .arg(data)
        .args(db_args)
        .output()?;
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let data_str = data.display().to_string();
    let mut args = vec!["--data-dir", data_str.as_str()];
    args.extend_from_slice(db_args);
    let (mut child, addr) = serve(&args)?;
    let cli = |action: &str| -> Result<String, Box<dyn std::error::Error>> {
        let out = newsdesk().args(["article", action, "3"]).args(&args).output()?;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let said = cli("unpublish")?;
    let path = said
        .split(' ')
        .find(|w| w.starts_with('/'))
        .ok_or_else(|| format!("no path in {said:?}"))?
        .to_owned();
    let gone = wait_for(&addr, &path, "410")?;
    // Cached as 410 now; publish again from the command line.
    assert_eq!(status_of(&http_get(&addr, &path)?), "410");
    cli("publish")?;
    let back = wait_for(&addr, &path, "200")?;
    eprintln!("command line to server: unpublish seen after {gone:?}, publish after {back:?}");
    assert!(gone < Duration::from_secs(1) && back < Duration::from_secs(1));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
    child.wait()?;
    Ok(())
}

#[cfg(unix)]
#[test]
fn changes_from_the_command_line_reach_a_running_server_on_sqlite()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    changes_from_the_command_line_reach_a_running_server(dir.path(), &[])
}

#[cfg(unix)]
#[tokio::test]
async fn changes_from_the_command_line_reach_a_running_server_on_postgres()
-> Result<(), Box<dyn std::error::Error>> {
    let Some(t) = newsdesk_test_support::TestDb::postgres().await? else { return Ok(()) };
    let url = t.url.clone();
    let dir = t.dir.path().to_owned();
    tokio::task::spawn_blocking(move || {
        changes_from_the_command_line_reach_a_running_server(&dir, &["--database", &url])
            .map_err(|e| e.to_string())
    })
    .await??;
    Ok(())
}

/// A worker killed with SIGKILL in the middle of a job loses it to another
/// worker once its lease runs out; the job then runs to completion.
#[cfg(unix)]
#[test]
fn a_job_outlives_the_worker_killed_while_running_it() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("newsdesk.toml"), "[jobs]\nlease_seconds = 2\n")?;
    let jobs = |args: &[&str]| -> Result<String, Box<dyn std::error::Error>> {
        let out = newsdesk().arg("jobs").args(args).arg("--data-dir").arg(dir.path()).output()?;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    jobs(&["ping", "--sleep-ms", "3000"])?;
    let worker = || {
        newsdesk()
            .env("NEWSDESK_LOG", "info")
            .args(["jobs", "run", "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
    };
    let mut first = worker()?;
    let started = Instant::now();
    while !jobs(&["list", "--state", "running"])?.contains("ping") {
        assert!(started.elapsed() < Duration::from_secs(20), "the first worker never took the job");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill()?;
    first.wait()?;
    let listing = jobs(&["list"])?;
    assert!(listing.contains("running") && listing.contains("tries 1/3"), "{listing}");
    let mut second = worker()?;
    let started = Instant::now();
    while !jobs(&["list"])?.contains("No jobs.") {
        assert!(started.elapsed() < Duration::from_secs(20), "the job was never finished");
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill").args(["-TERM", &second.id().to_string()]).status()?;
    let mut out = String::new();
    second.stdout.take().ok_or("no stdout")?.read_to_string(&mut out)?;
    second.wait()?;
    assert!(out.contains("pong") && out.contains("attempt=2"), "{out}");
    Ok(())
}

#[test]
fn article_commands_list_ids_and_report_errors_in_one_line()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let seeded =
        newsdesk().args(["demo", "--articles", "12", "--data-dir"]).arg(dir.path()).output()?;
    assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
    let out = newsdesk()
        .args(["article", "list", "--limit", "3", "--data-dir"])
        .arg(dir.path())
        .output()?;
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    assert_eq!(listing.lines().filter(|l| l.contains("published")).count(), 3, "{listing}");
    let out = newsdesk()
        .env("RUST_BACKTRACE", "1")
        .args(["article", "publish", "999999", "--data-dir"])
        .arg(dir.path())
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: article 999999 not found\n",
        "no backtrace"
    );
    let out = newsdesk()
        .args(["article", "list", "--status", "live", "--data-dir"])
        .arg(dir.path())
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown article status `live`"));
    Ok(())
}

#[test]
fn an_unreachable_database_is_named_with_its_cause() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let dir = tempfile::tempdir()?;
    let out = newsdesk()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .arg("--database")
        .arg(format!("postgres://postgres@127.0.0.1:{port}/nothing"))
        .output()?;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot reach the database at 127.0.0.1:{port}")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "the cause: {err}");
    Ok(())
}

#[test]
fn a_database_that_accepts_but_never_answers_is_given_up_on()
-> Result<(), Box<dyn std::error::Error>> {
    // Accepts connections (the kernel's backlog does) and never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = silent.local_addr()?.port();
    let dir = tempfile::tempdir()?;
    let started = std::time::Instant::now();
    let mut child = newsdesk()
        .args(["migrate", "--data-dir"])
        .arg(dir.path())
        .arg("--database")
        .arg(format!("postgres://postgres@127.0.0.1:{port}/nothing"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // A regression would hang: give up on it rather than wait for ever.
    while child.try_wait()?.is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            child.kill()?;
            panic!("still connecting after 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output()?;
    let took = started.elapsed();
    drop(silent);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("cannot reach the database at 127.0.0.1:{port}")), "{err}");
    assert!(err.contains("no answer within"), "the cause: {err}");
    assert!(took < std::time::Duration::from_secs(20), "gave up after {took:?}");
    Ok(())
}

/// `serve --demo` killed while it seeds leaves nothing half-done: started
/// again, it seeds the whole newsroom.
#[cfg(unix)]
#[test]
fn a_demo_seed_killed_half_way_is_redone_whole() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut first = newsdesk()
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()?;
    // Seeding takes seconds in a test build. Its first drawn photographs
    // show it has begun (migrations are done, the transaction is open);
    // kill it a moment later, well before its end.
    let started = Instant::now();
    let photos = dir.path().join("media").join("demo");
    let drawing = || std::fs::read_dir(&photos).is_ok_and(|mut d| d.next().is_some());
    while !drawing() {
        assert!(started.elapsed() < Duration::from_secs(60), "seeding never began");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    first.kill()?;
    first.wait()?;
    let mut out = String::new();
    first.stdout.take().ok_or("no stdout")?.read_to_string(&mut out)?;
    assert!(!out.contains("Seeded the demo newsroom"), "killed before the end: {out}");
    let (mut again, addr) = serve(&["--demo", "--data-dir", &dir.path().display().to_string()])?;
    let home = http_get(&addr, "/sitemap.xml")?;
    assert!(home.starts_with("HTTP/1.1 200"));
    let listing = newsdesk()
        .args(["article", "list", "--limit", "1000", "--data-dir"])
        .arg(dir.path())
        .output()?;
    let published = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| l.contains(" published "))
        .count();
    assert_eq!(published, 320, "the whole newsroom, not what the first run had written");
    Command::new("kill").args(["-TERM", &again.id().to_string()]).status()?;
    again.wait()?;
    Ok(())
}

/// Runs `newsdesk user …` in `dir` with `stdin` as standard input.
fn user_cmd(
    dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> Result<std::process::Output, Box<dyn std::error::Error>> {
    use std::io::Write as _;
    let mut child = newsdesk()
        .arg("user")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or("no stdin")?.write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

#[test]
fn the_first_owner_and_other_accounts_are_made_from_the_command_line()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = user_cmd(dir.path(), &["list"], "")?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("No accounts."));
    let add = ["add", "--email", "Chief@Example.org", "--name", "Chief", "--role", "owner"];
    let out =
        user_cmd(dir.path(), &[&add[..], &["--password-stdin"]].concat(), "owner password 1\n")?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Added Chief <chief@example.org> as owner")
    );
    // Without a terminal and without --password-stdin: a clear refusal.
    let ed = ["add", "--email", "ed@example.org", "--name", "Ed", "--role", "editor"];
    let out = user_cmd(dir.path(), &ed, "")?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-stdin"));
    let out =
        user_cmd(dir.path(), &[&ed[..], &["--password-stdin"]].concat(), "editor password\n")?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Mistakes name themselves.
    let bad_role =
        ["add", "--email", "x@example.org", "--name", "X", "--role", "chief", "--password-stdin"];
    let err = String::from_utf8_lossy(&user_cmd(dir.path(), &bad_role, "long enough pw\n")?.stderr)
        .into_owned();
    assert!(err.contains("unknown role `chief`"), "{err}");
    let dup = [&ed[..], &["--password-stdin"]].concat();
    let err = String::from_utf8_lossy(&user_cmd(dir.path(), &dup, "editor password\n")?.stderr)
        .into_owned();
    assert!(err.contains("ed@example.org exists"), "{err}");
    let short =
        ["add", "--email", "s@example.org", "--name", "S", "--role", "author", "--password-stdin"];
    let err =
        String::from_utf8_lossy(&user_cmd(dir.path(), &short, "short\n")?.stderr).into_owned();
    assert!(err.contains("at least 10 characters"), "{err}");
    // Disable, list, and the last owner stays.
    let out = user_cmd(dir.path(), &["disable", "--email", "ed@example.org"], "")?;
    assert!(out.status.success());
    let list = String::from_utf8_lossy(&user_cmd(dir.path(), &["list"], "")?.stdout).into_owned();
    assert!(list.contains("editor        disabled  Ed <ed@example.org>"), "{list}");
    assert!(list.contains("owner         active    Chief <chief@example.org>"), "{list}");
    let out = user_cmd(dir.path(), &["disable", "--email", "chief@example.org"], "")?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the last owner cannot be disabled"));
    let out = user_cmd(
        dir.path(),
        &["set-role", "--email", "chief@example.org", "--role", "editor"],
        "",
    )?;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the last owner keeps the role"));
    let out =
        user_cmd(dir.path(), &["set-role", "--email", "ed@example.org", "--role", "author"], "")?;
    assert!(String::from_utf8_lossy(&out.stdout).contains("ed@example.org is now author."));
    let out =
        user_cmd(dir.path(), &["set-role", "--email", "ed@example.org", "--role", "chief"], "")?;
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role `chief`"));
    let out = user_cmd(
        dir.path(),
        &["set-password", "--email", "nobody@example.org", "--password-stdin"],
        "x\n",
    )?;
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no account with the address nobody@example.org")
    );
    Ok(())
}

/// `newsdesk media add` takes pictures through the same checks as the back
/// office: credits read from the file, hostile files refused by name, the
/// same file twice one item.
#[test]
fn media_add_reads_credits_and_refuses_what_is_not_a_picture()
-> Result<(), Box<dyn std::error::Error>> {
    use newsdesk_test_support::photos::{Meta, jpeg};
    let dir = tempfile::tempdir()?;
    let good = dir.path().join("pier.jpg");
    let meta = Meta { credit: Some("Ola Nordmann / NTB"), ..Meta::default() };
    std::fs::write(&good, jpeg(640, 400, 5, &meta))?;
    let bad = dir.path().join("invoice.jpg");
    std::fs::write(&bad, b"<html><script>alert(1)</script></html>")?;
    let data = dir.path().join("data");
    let out = newsdesk()
        .args(["media", "add", "--alt", "A pier at dawn", "--data-dir"])
        .arg(&data)
        .arg(&good)
        .arg(&bad)
        .output()?;
    assert!(!out.status.success(), "one file was refused");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("pier.jpg: added as 1 (640 × 400)"), "{stdout}");
    assert!(stderr.contains("invoice.jpg: not added: this is an HTML page"), "{stderr}");
    let again = newsdesk()
        .args(["media", "add", "--alt", "Another description", "--data-dir"])
        .arg(&data)
        .arg(&good)
        .output()?;
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(again.contains("already in the library (its texts left as they are) as 1"), "{again}");
    let list = newsdesk().args(["media", "list", "--data-dir"]).arg(&data).output()?;
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("pier.jpg") && list.contains("Ola Nordmann / NTB"), "{list}");
    assert_eq!(list.lines().count(), 1, "{list}");
    Ok(())
}
