//! The `labbridge` binary: one command line for serving, loading and reporting.
//!
//! Parsing and output live here; every command calls a use case of `labbridge-app`.
//! Settings follow defaults < config file < `LABBRIDGE_*` environment < flags.

mod output;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use labbridge_app::import::{ImportKind, Progress};
use labbridge_app::{App, Error, Overrides, Settings};
use labbridge_server::AppState;
use tracing_subscriber::EnvFilter;

/// labbridge — 产学研 matchmaking for a county science & technology bureau.
#[derive(Debug, Parser)]
#[command(name = "labbridge", version, about, long_about = None)]
struct Cli {
    /// A TOML config file (keys: data_dir, database_url, county, addr).
    #[arg(long, global = true, env = "LABBRIDGE_CONFIG")]
    config: Option<PathBuf>,
    /// The data directory (registry file, index) [env: LABBRIDGE_DATA_DIR] [default: ./data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// The registry URL: sqlite://FILE or postgres://… [env: LABBRIDGE_DATABASE_URL] [default: SQLite in the data directory].
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// The county served: a name (临朐县) or 6-digit code [env: LABBRIDGE_COUNTY].
    #[arg(long, global = true)]
    county: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, then serve the pages and the API until SIGINT/SIGTERM.
    Serve {
        /// The address to listen on [env: LABBRIDGE_ADDR] [default: 127.0.0.1:8080].
        #[arg(long)]
        addr: Option<String>,
        /// Load the demo county first if the registry is empty.
        #[arg(long)]
        demo: bool,
        /// Mark the sign-in cookie Secure, for pages served over HTTPS
        /// [env: LABBRIDGE_SECURE_COOKIES].
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Load the demo county (临朐县) into an empty registry.
    Demo {
        /// The roster year [default: this year].
        #[arg(long)]
        year: Option<i32>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a JSONL, CSV or XLSX file, all or nothing.
    Import {
        /// What the file holds.
        kind: KindArg,
        /// The file: .jsonl, .csv or .xlsx (first sheet).
        file: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search labs, experts and talent programmes (and needs) in Chinese.
    Search {
        /// The query, as an enterprise would type it.
        query: String,
        /// Only this kind.
        #[arg(long)]
        kind: Option<SearchKind>,
        /// How many hits.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print JSON (the shape of GET /api/v1/search).
        #[arg(long)]
        json: bool,
    },
    /// Evaluate search quality on a labelled query set, by class (nDCG@10, recall@10,
    /// recall@50, MRR@10), against a character-unigram BM25 baseline and any outside engines.
    /// Uses an in-memory registry; the data directory is untouched.
    EvalSearch {
        /// The labelled set.
        #[arg(default_value = "eval/search.json")]
        file: PathBuf,
        /// Print JSON with per-query scores.
        #[arg(long)]
        json: bool,
        /// Export the documents and queries (JSON lines) to this folder and keep it.
        #[arg(long)]
        export: Option<PathBuf>,
        /// An outside engine: a command run with the export folder as its last argument, which
        /// writes ENGINE.json there (e.g. "python3 eval/jieba_bm25.py"). Repeatable.
        #[arg(long)]
        external: Vec<String>,
        /// Fail (exit 1) when labbridge is below this engine on any class, on nDCG@10 or
        /// recall@50. Repeatable.
        #[arg(long)]
        gate: Vec<String>,
    },
    /// Solve a matcher-instance/v1 file exactly (most required partners, then most affinity)
    /// and print one JSON line of figures, `t_solve` among them. Touches no registry.
    Assign {
        /// The instance (format in ../shared/bench/matcher/README.md).
        instance: PathBuf,
        /// Write the matcher-solution/v1 here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Fairness mode: the highest quality floor every pair clears while as many required
        /// partners are placed, then the most affinity above it.
        #[arg(long)]
        fair: bool,
    },
    /// Propose partners that close the latest roster's coverage gaps (replacing proposals still
    /// `proposed`), and print the forecast coverage if every proposal were accepted.
    Match {
        /// Compute and print, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Fairness mode: raise the weakest proposal's score as far as coverage allows.
        #[arg(long)]
        fair: bool,
        /// Town balance: when partners are short, enterprises in towns with lower coverage first.
        #[arg(long)]
        balance_towns: bool,
        /// Partners an enterprise with a gap gets at least [env: LABBRIDGE_MIN_PARTNERS] [default: 1].
        #[arg(long)]
        min_partners: Option<u32>,
        /// … and at most [env: LABBRIDGE_MAX_PARTNERS] [default: 3].
        #[arg(long)]
        max_partners: Option<u32>,
        /// Allow an enterprise several partners of one institution (by default it gets at most
        /// one of each) [env: LABBRIDGE_ONE_PER_INSTITUTION=false].
        #[arg(long)]
        several_per_institution: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the SQLite registry while it is in use (PostgreSQL: pg_dump).
    Backup {
        /// The new file to write (it must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup back as the registry (stop `serve` first); the search index is rebuilt at the
    /// next start. The registry it replaces is kept as labbridge.db.before-restore.
    Restore {
        /// A file written by `labbridge backup`.
        file: PathBuf,
    },
    /// Manage sign-in accounts: staff, admin, auditor, enterprise users; disable one, end its
    /// sessions, issue a personal API token.
    Account {
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Review and follow proposals: list, approve, reject.
    Proposals {
        #[command(subcommand)]
        action: ProposalsAction,
    },
    /// The e-mail outbox: send what is due, list it, queue a test message.
    Outbox {
        #[command(subcommand)]
        action: OutboxAction,
    },
    /// Manage the search index.
    Index {
        #[command(subcommand)]
        action: IndexAction,
    },
    /// The two-coverage report, total and by town and industry.
    Coverage {
        /// The roster year [default: the latest].
        #[arg(long)]
        year: Option<i32>,
        /// Print JSON (the shape of GET /api/v1/coverage).
        #[arg(long)]
        json: bool,
        /// Take this month's snapshot for the trend (for cron; a month already taken is kept).
        #[arg(long)]
        snapshot: bool,
    },
    /// Export to XLSX: coverage (totals, towns, chains, uncovered, at risk), enterprises,
    /// proposals or partnerships.
    Export {
        /// What to export: coverage, enterprises, proposals or partnerships.
        kind: String,
        /// The .xlsx file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AccountAction {
    /// Create an account, or reset an existing one's name, role, e-mail and password. The
    /// password comes from LABBRIDGE_PASSWORD, else from the first line of standard input.
    Add {
        /// The login (letters, digits, '.', '_', '-', '@').
        login: String,
        /// The name shown on pages [default: the login].
        #[arg(long)]
        name: Option<String>,
        /// `staff` (bureau), `admin` (staff who manage accounts), `auditor` (reads, changes
        /// nothing) or `enterprise` (with --enterprise).
        #[arg(long, default_value = "staff")]
        role: String,
        /// The enterprise an enterprise user acts for (its id in the registry).
        #[arg(long)]
        enterprise: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
    },
    /// Disable an account: it cannot sign in and its sessions end now.
    Disable {
        /// The login.
        login: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// The login.
        login: String,
    },
    /// An account's sessions.
    Sessions {
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Issue a personal API token for the account (printed once; send it as
    /// `Authorization: Bearer TOKEN`).
    Token {
        /// The login.
        login: String,
    },
    /// List the accounts (login, role, enterprise, disabled).
    List,
}

#[derive(Debug, Subcommand)]
enum SessionsAction {
    /// End every session of the account (signed-in browsers and API tokens).
    End {
        /// The login.
        login: String,
    },
}

/// The password of `account add`: the environment, else one line of standard input.
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("LABBRIDGE_PASSWORD") {
        return Ok(password);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        eprint!("password (shown as typed; or set LABBRIDGE_PASSWORD): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[derive(Debug, Subcommand)]
enum ProposalsAction {
    /// List proposals (JSON: {"proposals": [...]}, the records of GET /api/v1/proposals).
    List {
        /// Only this status (proposed, approved, sent, accepted_by_partner, …).
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve proposals awaiting review: each gets an answer link and its mail to the partner.
    Approve {
        /// The proposals' ids.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<i64>,
        /// Every proposal awaiting review.
        #[arg(long)]
        all: bool,
    },
    /// Reject a proposal awaiting review.
    Reject {
        /// The proposal's id.
        id: i64,
        /// Why (kept in its timeline).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum OutboxAction {
    /// One pass for a cron job: the clock's work (reminders, escalations, expiry, the weekly
    /// digest), then every due mail is tried once.
    Send {
        /// Treat every pending mail as due (after an outage), not only those whose retry time came.
        #[arg(long)]
        now: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the outbox, newest first.
    List {
        /// Only pending, sent or dead.
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue a test message (to check LABBRIDGE_SMTP_URL; `--count` to measure).
    Test {
        /// The address.
        to: String,
        /// How many.
        #[arg(long, default_value_t = 1)]
        count: u64,
    },
}

#[derive(Debug, Subcommand)]
enum IndexAction {
    /// Rebuild the index from the registry (the registry is the truth; nothing is lost).
    Rebuild,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SearchKind {
    Expert,
    Lab,
    Program,
    Need,
    Offer,
}

impl From<SearchKind> for labbridge_search::Kind {
    fn from(kind: SearchKind) -> Self {
        match kind {
            SearchKind::Expert => labbridge_search::Kind::Expert,
            SearchKind::Lab => labbridge_search::Kind::Lab,
            SearchKind::Program => labbridge_search::Kind::Program,
            SearchKind::Need => labbridge_search::Kind::Need,
            SearchKind::Offer => labbridge_search::Kind::Offer,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    Enterprises,
    Needs,
    Labs,
    Experts,
    Programs,
    Partnerships,
    Offers,
}

impl From<KindArg> for ImportKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Enterprises => ImportKind::Enterprises,
            KindArg::Needs => ImportKind::Needs,
            KindArg::Labs => ImportKind::Labs,
            KindArg::Experts => ImportKind::Experts,
            KindArg::Programs => ImportKind::Programs,
            KindArg::Offers => ImportKind::Offers,
            KindArg::Partnerships => ImportKind::Partnerships,
        }
    }
}

fn init_tracing(default_level: &str) {
    let filter = EnvFilter::try_from_env("LABBRIDGE_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    init_tracing(default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            match error.downcast_ref::<Error>() {
                Some(Error::Import(failure)) => {
                    for line in failure.lines() {
                        eprintln!("{line}");
                    }
                    eprintln!("error: {failure}");
                }
                _ => eprintln!("error: {error:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

/// Writes to standard output; a reader that went away (`labbridge match | head`) ends the
/// program quietly instead of a panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {error}");
        std::process::exit(1);
    }
}

fn emit_line(text: &str) {
    emit(&format!("{text}\n"));
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let addr_flag = match &cli.command {
        Command::Serve { addr, .. } => addr.clone(),
        _ => None,
    };
    let (min_partners, max_partners, one_per_institution) = match &cli.command {
        Command::Match {
            min_partners,
            max_partners,
            several_per_institution,
            ..
        } => (
            *min_partners,
            *max_partners,
            several_per_institution.then_some(false),
        ),
        _ => (None, None, None),
    };
    let overrides = Overrides {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        county: cli.county,
        addr: addr_flag,
        min_partners,
        max_partners,
        one_per_institution,
        secure_cookies: match &cli.command {
            Command::Serve {
                secure_cookies: true,
                ..
            } => Some(true),
            _ => None,
        },
    };
    if let Command::Assign {
        instance,
        out,
        fair,
    } = &cli.command
    {
        let solution = labbridge_app::assign::assign_file(instance, out.as_deref(), *fair)?;
        emit_line(&serde_json::to_string(&solution.stats)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::EvalSearch {
        file,
        json,
        export,
        external,
        gate,
    } = &cli.command
    {
        let options = labbridge_app::eval::EvalOptions {
            export: export.clone(),
            external: external.clone(),
        };
        let report = labbridge_app::eval::evaluate(file, &options).await?;
        if *json {
            emit_line(&serde_json::to_string_pretty(&report)?);
        } else {
            emit(&output::eval_report(&report));
        }
        let mut below = Vec::new();
        for engine in gate {
            below.extend(report.shortfalls(engine)?);
        }
        for shortfall in &below {
            eprintln!(
                "labbridge is below {} on {} {}: {:.3} < {:.3}",
                shortfall.engine,
                shortfall.class,
                shortfall.metric,
                shortfall.ours,
                shortfall.theirs
            );
        }
        return Ok(if below.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    if let Command::Restore { file } = &cli.command {
        // Before the registry is opened: nothing of this process may hold it.
        let target = labbridge_app::backup::restore(&settings, file).await?;
        println!(
            "restored {} into {}; the search index is rebuilt at the next start",
            file.display(),
            target.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let app = App::open(settings).await?;
    let progress = Progress::Terminal;
    match cli.command {
        Command::Serve { demo, .. } => {
            if demo && app.store.counts().await?.enterprises == 0 {
                let year = chrono::Datelike::year(&labbridge_app::today());
                tracing::info!(year, "registry is empty, loading the demo county");
                app.load_demo(year, progress).await?;
                tracing::info!(
                    login = labbridge_app::demo::DEMO_STAFF_LOGIN,
                    password = labbridge_app::demo::DEMO_STAFF_PASSWORD,
                    "demo staff account (sign in at /login)"
                );
            }
            let addr: SocketAddr = app.settings.addr.parse().with_context(|| {
                format!(
                    "'{}' is not an address like 127.0.0.1:8080",
                    app.settings.addr
                )
            })?;
            let follower = app.open_index_followed(progress).await?;
            let index = follower.index().clone();
            tokio::spawn(follower.run(app.clone(), std::time::Duration::from_secs(2)));
            let (stop_workers, stopped) = tokio::sync::watch::channel(false);
            spawn_workers(&app, stopped);
            labbridge_server::serve(AppState::new(app, Some(index)), addr).await?;
            let _ = stop_workers.send(true);
        }
        Command::Demo { year, json } => {
            let year = year.unwrap_or_else(|| chrono::Datelike::year(&labbridge_app::today()));
            let summary = app.load_demo(year, progress).await?;
            match app.open_index(progress).await {
                Ok(_) => {}
                Err(Error::Search(labbridge_search::Error::Busy(_))) => {
                    eprintln!(
                        "note: a running server owns the index and will index the demo county itself"
                    );
                }
                Err(other) => return Err(other.into()),
            }
            if json {
                emit_line(&serde_json::to_string(&summary)?);
            } else {
                for import in &summary.imports {
                    emit_line(&output::import_line(import));
                }
                let report = app.coverage(Some(year), labbridge_app::today()).await?;
                emit_line(&output::coverage_headline(&report));
                emit_line(&format!(
                    "demo sign-in at /login, password {}: staff {}, admin {}, auditor {}, each enterprise by its id (demo-ent-001 …)",
                    labbridge_app::demo::DEMO_STAFF_PASSWORD,
                    labbridge_app::demo::DEMO_STAFF_LOGIN,
                    labbridge_app::demo::DEMO_ADMIN_LOGIN,
                    labbridge_app::demo::DEMO_AUDITOR_LOGIN,
                ));
            }
        }
        Command::Backup { out } => {
            let bytes = app.backup(&out).await?;
            println!("backup written: {} ({bytes} bytes)", out.display());
        }
        Command::Restore { .. } => unreachable!("handled before the registry is opened"),
        Command::Account { action } => match action {
            AccountAction::Add {
                login,
                name,
                role,
                enterprise,
                email,
            } => {
                let password = read_password()?;
                let account = app
                    .add_account(&labbridge_app::accounts::NewAccount {
                        login: &login,
                        display_name: name.as_deref().unwrap_or_default(),
                        role: &role,
                        email: email.as_deref(),
                        password: &password,
                        enterprise_id: enterprise.as_deref(),
                    })
                    .await?;
                emit_line(&format!(
                    "account {} ({}, {}) ready: sign in at /login",
                    account.login,
                    account.display_name,
                    account.role.code()
                ));
            }
            AccountAction::Disable { login } => {
                app.set_account_disabled(&login, true).await?;
                emit_line(&format!("account {login} disabled; its sessions ended"));
            }
            AccountAction::Enable { login } => {
                app.set_account_disabled(&login, false).await?;
                emit_line(&format!("account {login} enabled"));
            }
            AccountAction::Sessions {
                action: SessionsAction::End { login },
            } => {
                let ended = app.end_sessions(&login).await?;
                emit_line(&format!("{ended} sessions of {login} ended"));
            }
            AccountAction::Token { login } => {
                emit_line(&app.issue_api_token(&login).await?);
            }
            AccountAction::List => {
                for account in app.accounts().await? {
                    emit_line(&format!(
                        "{}\t{}\t{}\t{}",
                        account.login,
                        account.role.code(),
                        account.enterprise_id.unwrap_or_default(),
                        account.display_name
                    ));
                }
            }
        },
        Command::Import { kind, file, json } => {
            let summary = app.import_file(kind.into(), &file, progress).await?;
            for note in &summary.notes {
                eprintln!("note: {note}");
            }
            if json {
                emit_line(&serde_json::to_string(&summary)?);
            } else {
                emit_line(&output::import_line(&summary));
            }
        }
        Command::Search {
            query,
            kind,
            limit,
            json,
        } => {
            let index = app.open_index_for_search().await?;
            let request = labbridge_search::Request {
                text: query,
                kinds: kind.map(|kind| vec![kind.into()]).unwrap_or_default(),
                limit: limit.clamp(1, 100),
                ..labbridge_search::Request::default()
            };
            let results = app.search(&index, &request)?;
            if json {
                emit_line(&serde_json::to_string_pretty(&results)?);
            } else {
                emit(&output::search_results(&results));
            }
        }
        Command::Index {
            action: IndexAction::Rebuild,
        } => {
            let path = app.settings.data_dir.join("index");
            let (index, _) = labbridge_search::SearchIndex::open(&path).map_err(Error::Search)?;
            let count = app
                .rebuild_index(&std::sync::Arc::new(index), progress)
                .await?;
            println!("index rebuilt: {count} documents in {}", path.display());
        }
        Command::Match {
            dry_run,
            fair,
            balance_towns,
            json,
            ..
        } => {
            let index = app.open_index_for_search().await?;
            let options = labbridge_app::matching::MatchOptions {
                dry_run,
                fair,
                balance_towns,
            };
            let report = app
                .run_matcher(&index, labbridge_app::today(), options)
                .await?;
            if json {
                emit_line(&serde_json::to_string_pretty(&report)?);
            } else {
                emit(&output::match_report(&report));
            }
        }
        Command::Proposals { action } => proposals_command(&app, action).await?,
        Command::Outbox { action } => return outbox_command(&app, action).await,
        Command::EvalSearch { .. } | Command::Assign { .. } => {}
        Command::Export { kind, out } => {
            let Some(kind) = labbridge_app::export::ExportKind::parse(&kind) else {
                anyhow::bail!(
                    "unknown export '{kind}'; one of: coverage, enterprises, proposals, partnerships"
                );
            };
            let bytes = app.export(kind, labbridge_app::today()).await?;
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            emit_line(&format!("{}: {} bytes", out.display(), bytes.len()));
        }
        Command::Coverage {
            year,
            json,
            snapshot,
        } => {
            if let Some(year) = year
                && !(1990..=2100).contains(&year)
            {
                anyhow::bail!("year {year} is out of range (1990–2100)");
            }
            if snapshot {
                let today = labbridge_app::today();
                let taken = app.take_snapshot(today).await?;
                eprintln!(
                    "snapshot {}: {}",
                    labbridge_app::dashboard::month_of(today),
                    if taken { "taken" } else { "already taken" }
                );
            }
            let report = app.coverage(year, labbridge_app::today()).await?;
            if json {
                emit_line(&serde_json::to_string_pretty(&report)?);
            } else {
                emit(&output::coverage_table(&report));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Who the command line acts as in the audit trail: `cli:` and the system user.
fn cli_actor() -> labbridge_app::proposals::Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    labbridge_app::proposals::Actor::staff(&format!("cli:{user}"))
}

/// The outbox worker and the clock inside `serve`: mail every 5 s when SMTP is configured,
/// reminders and expiry every minute.
fn spawn_workers(app: &App, stopped: tokio::sync::watch::Receiver<bool>) {
    let until_stopped = |mut receiver: tokio::sync::watch::Receiver<bool>| async move {
        let _ = receiver.wait_for(|stop| *stop).await;
    };
    match app.mail_worker() {
        Ok(worker) => {
            tracing::info!("outbox worker started");
            tokio::spawn(worker.run(
                std::time::Duration::from_secs(5),
                until_stopped(stopped.clone()),
            ));
        }
        Err(error) => tracing::warn!(%error, "outbox worker not started"),
    }
    let clock = app.clone();
    tokio::spawn(async move {
        let stop = until_stopped(stopped);
        tokio::pin!(stop);
        loop {
            if let Err(error) = clock.tick(chrono::Utc::now()).await {
                tracing::warn!(%error, "reminders and expiry failed");
            }
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            }
        }
    });
}

async fn proposals_command(app: &App, action: ProposalsAction) -> anyhow::Result<()> {
    match action {
        ProposalsAction::List { status, json } => {
            let rows = app.proposals(status.as_deref()).await?;
            if json {
                emit_line(&serde_json::to_string_pretty(
                    &serde_json::json!({ "total": rows.len(), "proposals": rows }),
                )?);
            } else {
                emit(&output::proposals_table(&rows));
            }
        }
        ProposalsAction::Approve { ids, all } => {
            let outcome = if all {
                app.approve_all(&cli_actor()).await?
            } else {
                app.approve(&ids, &cli_actor()).await?
            };
            for skipped in &outcome.skipped {
                eprintln!("skipped {}: {}", skipped.id, skipped.reason);
            }
            emit_line(&format!(
                "approved {} proposals; their mail is queued ({} skipped)",
                outcome.done.len(),
                outcome.skipped.len()
            ));
        }
        ProposalsAction::Reject { id, reason } => {
            let row = app
                .staff_action(
                    id,
                    labbridge_app::proposals::ProposalAction::Reject,
                    Some(&reason),
                    &cli_actor(),
                )
                .await?;
            emit_line(&format!("proposal {} is {}", row.id, row.status));
        }
    }
    Ok(())
}

async fn outbox_command(app: &App, action: OutboxAction) -> anyhow::Result<ExitCode> {
    match action {
        OutboxAction::Send { now, json } => {
            let tick = app.tick(chrono::Utc::now()).await?;
            let worker = app.mail_worker()?;
            let pass = worker.pass(now).await?;
            if json {
                emit_line(&serde_json::to_string(&serde_json::json!({
                    "sent": pass.sent,
                    "retried": pass.retried,
                    "dead": pass.dead,
                    "reminders": tick.reminders,
                    "escalations": tick.escalations,
                    "expired": tick.expired,
                    "digests": tick.digests,
                }))?);
            } else {
                emit_line(&format!(
                    "sent {}, to retry {}, failed {} (queued: {} reminders, {} escalations, {} digests; {} expired)",
                    pass.sent,
                    pass.retried,
                    pass.dead,
                    tick.reminders,
                    tick.escalations,
                    tick.digests,
                    tick.expired
                ));
            }
        }
        OutboxAction::List {
            status,
            limit,
            json,
        } => {
            let mail = app.mail(status.as_deref(), limit.clamp(1, 100_000)).await?;
            if json {
                emit_line(&serde_json::to_string_pretty(
                    &serde_json::json!({ "mail": mail }),
                )?);
            } else {
                emit(&output::mail_table(&mail));
            }
        }
        OutboxAction::Test { to, count } => {
            let ids = app.queue_test_mail(&to, count.clamp(1, 1_000_000)).await?;
            emit_line(&format!(
                "queued {} test mail(s) to {to}; `labbridge outbox send` sends them",
                ids.len()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}
