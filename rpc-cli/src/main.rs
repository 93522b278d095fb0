//! `rpc`: JSON-RPC 2.0 from the shell, over HTTP(S) or WebSocket.
//!
//! The usage text ([`USAGE`]) says what it takes. Params are one JSON array
//! or object (`'[1, 2]'`, `'{"a": 1}'`), JSON values sent by position
//! (`1 2 '"text"'`), or `name=value` pairs sent by name (`a=1 b=2`); a value
//! that is not JSON is sent as a string.
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

use args::{Cli, Command, Parsed};
use connection::Connection;

/// What `rpc --help` prints.
pub(crate) const USAGE: &str = "\
rpc: call, list and watch JSON-RPC 2.0 services from the shell

usage:
  rpc [OPTIONS] list URL                     the methods (rpc.discover, else a listing method)
  rpc [OPTIONS] call URL METHOD [PARAM]...   a call; prints its result
  rpc [OPTIONS] notify URL METHOD [PARAM]... a notification; prints nothing
  rpc [OPTIONS] batch URL FILE               the batch in FILE (`-`: standard input)
  rpc [OPTIONS] subscribe URL NAME [PARAM]...
                                             a subscription's items or a topic's messages

URL is http(s)://host:port/path or ws(s)://host:port/path (subscribe
takes http(s):// to the same place over WebSocket).

PARAMs are one JSON array or object ('[1, 2]', '{\"a\": 1}'), JSON values
by position (1 2 '\"text\"'), or name=value pairs by name (a=1 b=2); a
value that is not JSON is a string.

options (anywhere on the line; `--` ends them):
  -H, --header 'NAME: VALUE'  an HTTP header for every request or the WebSocket
                              handshake; may be repeated
      --timeout SECONDS       how long to wait for the connection and each answer (default 30)
      --max-size BYTES        the largest answer accepted (default 10485760)
      --compact               JSON on one line instead of pretty-printed
      --count N               subscribe: stop after N messages (default: until Ctrl-C)
  -h, --help                  this text
  -V, --version               the version

exit status: 0 success, 1 a JSON-RPC error (on stderr), 2 a mistake on the
command line, 3 the server could not be reached or its answer read.
";

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
        Self {
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            // The same as the library's clients, stated here so `--help` is right.
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
    let cli = match args::parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(cli)) => cli,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Version) => {
            println!("rpc {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("rpc: {why}\n(rpc --help says what it takes)");
            return ExitCode::from(2);
        }
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
