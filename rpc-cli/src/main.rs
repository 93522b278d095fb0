//! `rpc`: JSON-RPC 2.0 from the shell, over HTTP(S) or WebSocket.
//!
//! `rpc --help` says what it takes (the command line is read by clap, in
//! [`args`]). Params are one JSON array or object (`'[1, 2]'`,
//! `'{"a": 1}'`), JSON values sent by position (`1 2 '"text"'`), or
//! `name=value` pairs sent by name (`a=1 b=2`); a value that is not JSON is
//! sent as a string.
//!
//! Output is pretty-printed JSON (`--compact`: one line). A JSON-RPC error
//! goes to standard error and the exit status is 1; a failure to reach the
//! server or to read its answer is 3; a mistake on the command line is 2.

mod args;
mod connection;
mod list;
mod params;
mod subscribe;

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Value};

use args::{Cli, Command};
use connection::Connection;

/// How a command ended.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server answered with a JSON-RPC error (printed already).
    Answered,
    /// The server could not be reached or its answer read.
    Transport(String),
    /// The command line asked for something impossible.
    Usage(String),
}

/// What every command takes.
#[derive(Debug, PartialEq)]
pub(crate) struct Options {
    /// `Name: value` headers, as written.
    pub(crate) headers: Vec<String>,
    /// For the connection and each answer.
    pub(crate) timeout: Duration,
    /// The largest answer accepted, in bytes.
    pub(crate) max_size: usize,
    /// JSON on one line.
    pub(crate) compact: bool,
}

impl Default for Options {
    fn default() -> Self {
        // `--help` states these two; a test in `args` checks that it agrees.
        Self {
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            // The same as the library's clients.
            max_size: 10 * 1024 * 1024,
            compact: false,
        }
    }
}

impl Options {
    /// `value` as JSON text, pretty unless `--compact`.
    pub(crate) fn json(&self, value: &Value) -> String {
        if self.compact {
            value.to_string()
        } else {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        }
    }

    /// Prints a JSON-RPC error object to standard error.
    pub(crate) fn print_error(&self, error: &Value) {
        let code = &error["code"];
        let message = error["message"].as_str().unwrap_or_default();
        eprintln!("error {code}: {message}");
        if let Some(data) = error.get("data") {
            eprintln!("data: {}", self.json(data));
        }
    }
}

fn main() -> ExitCode {
    let cli = match args::parse(std::env::args_os()) {
        Ok(cli) => cli,
        // `--help` or `--version` (status 0), or a mistake on the line (status 2).
        Err(err) => err.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("rpc: cannot start: {err}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Answered) => ExitCode::from(1),
        Err(Failure::Usage(why)) => {
            eprintln!("rpc: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Transport(why)) => {
            eprintln!("rpc: {why}");
            ExitCode::from(3)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let options = cli.options;
    match cli.command {
        Command::List { url } => {
            let connection = Connection::open(&url, &options).await?;
            list::run(&connection, &options).await
        }
        Command::Call {
            url,
            method,
            params,
        } => {
            let params = params::parse(&params)?;
            let connection = Connection::open(&url, &options).await?;
            let answer = connection.call(&method, params).await?;
            match answer.get("error") {
                Some(error) => {
                    options.print_error(error);
                    Err(Failure::Answered)
                }
                None => {
                    println!("{}", options.json(&answer["result"]));
                    Ok(())
                }
            }
        }
        Command::Notify {
            url,
            method,
            params,
        } => {
            let params = params::parse(&params)?;
            let connection = Connection::open(&url, &options).await?;
            let mut message = json!({"jsonrpc": "2.0", "method": method});
            if let Some(params) = params {
                message["params"] = params;
            }
            connection.notify(message.to_string().into_bytes()).await
        }
        Command::Batch { url, file } => {
            let text = if file == "-" {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(&file)
            }
            .map_err(|err| Failure::Usage(format!("cannot read {file}: {err}")))?;
            let file = if file == "-" {
                "standard input"
            } else {
                file.as_str()
            };
            let batch: Value = serde_json::from_str(&text)
                .map_err(|err| Failure::Usage(format!("{file} is not JSON: {err}")))?;
            let entries = batch
                .as_array()
                .filter(|entries| !entries.is_empty())
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "{file} holds no batch: a non-empty JSON array of requests"
                    ))
                })?;
            let connection = Connection::open(&url, &options).await?;
            if entries.iter().all(|entry| entry.get("id").is_none()) {
                // Only notifications: nothing comes back.
                return connection.notify(text.into_bytes()).await;
            }
            let answers = connection.send(text.into_bytes()).await?;
            println!("{}", options.json(&answers));
            let failed = match &answers {
                Value::Array(answers) => answers.iter().any(|answer| answer.get("error").is_some()),
                answer => answer.get("error").is_some(),
            };
            if failed {
                Err(Failure::Answered)
            } else {
                Ok(())
            }
        }
        Command::Subscribe {
            url,
            topic,
            params,
            count,
        } => {
            let params = params::parse(&params)?;
            subscribe::run(&url, &topic, params, count, &options).await
        }
    }
}
