//! The command line, read by clap: the commands and their arguments are
//! derived from [`Command`], the options from `Given`.
//!
//! The options go anywhere on the line, before or after the command's name.
//! They are not clap's `global` arguments: clap keeps only the values given
//! after the name of a global option used on both sides (clap issue 1570),
//! which would drop the `-H` headers given before it. Instead every command
//! takes the options too, and the two sets are merged here.

use std::ffi::OsString;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::Options;

/// What `--help` shows after the usage: the options' place, the forms of
/// URL and PARAM, and the exit statuses.
const AFTER_HELP: &str = "\
Options go anywhere on the line; `--` ends them (a PARAM that starts with
`-` and is not a number goes after it).

URL is http(s)://host:port/path or ws(s)://host:port/path (subscribe
takes http(s):// to the same place over WebSocket).

PARAMs are one JSON array or object ('[1, 2]', '{\"a\": 1}'), JSON values
by position (1 2 '\"text\"'), or name=value pairs by name (a=1 b=2); a
value that is not JSON is a string.

Exit status: 0 success, 1 a JSON-RPC error (on stderr), 2 a mistake on the
command line, 3 the server could not be reached or its answer read.";

/// `rpc --help`'s usage: every command at a glance, which clap's default
/// (`rpc [OPTIONS] <COMMAND>`) would not show.
const USAGE: &str = "\
rpc [OPTIONS] list URL
       rpc [OPTIONS] call URL METHOD [PARAM]...
       rpc [OPTIONS] notify URL METHOD [PARAM]...
       rpc [OPTIONS] batch URL FILE
       rpc [OPTIONS] subscribe URL NAME [PARAM]...";

/// A command with its options.
#[derive(Debug, PartialEq)]
pub(crate) struct Cli {
    pub(crate) options: Options,
    pub(crate) command: Command,
}

/// The commands, with their arguments (the doc comments are `--help`'s).
#[derive(Debug, PartialEq, Subcommand)]
pub(crate) enum Command {
    /// The methods (rpc.discover, else a listing method)
    List {
        /// The service: http(s)://… or ws(s)://…
        url: String,
    },
    /// A call; prints its result
    Call {
        /// The service: http(s)://… or ws(s)://…
        url: String,
        /// The method's name
        method: String,
        /// The params (see PARAMs below)
        #[arg(value_name = "PARAM", allow_negative_numbers = true)]
        params: Vec<String>,
    },
    /// A notification; prints nothing
    Notify {
        /// The service: http(s)://… or ws(s)://…
        url: String,
        /// The method's name
        method: String,
        /// The params (see PARAMs below)
        #[arg(value_name = "PARAM", allow_negative_numbers = true)]
        params: Vec<String>,
    },
    /// The batch in FILE (`-`: standard input)
    Batch {
        /// The service: http(s)://… or ws(s)://…
        url: String,
        /// A JSON array of requests; `-` for standard input
        file: String,
    },
    /// A subscription's items or a topic's messages
    Subscribe {
        /// The service: http(s)://… or ws(s)://… (over WebSocket either way)
        url: String,
        /// A subscription method or a topic
        #[arg(value_name = "NAME")]
        topic: String,
        /// The subscription method's params (see PARAMs below)
        #[arg(value_name = "PARAM", allow_negative_numbers = true)]
        params: Vec<String>,
        /// From `--count`, which is one of the options.
        #[arg(skip)]
        count: Option<u64>,
    },
}

/// The whole line as clap reads it: the options before the command's name,
/// and the command (which holds the options after its name, see `parser`).
#[derive(Debug, Parser)]
#[command(
    name = "rpc",
    version,
    about = "rpc: call, list and watch JSON-RPC 2.0 services from the shell",
    override_usage = USAGE,
    after_help = AFTER_HELP,
    propagate_version = true
)]
struct Line {
    #[command(flatten)]
    given: Given,
    #[command(subcommand)]
    command: Command,
}

// The options as given on one side of the command's name; `None` where not
// given, so that the two sides can be merged. (A plain comment: a doc
// comment would become the `about` of every command this is added to.)
#[derive(Debug, Default, Args)]
struct Given {
    /// An HTTP header for every request or the WebSocket handshake; may be repeated
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// How long to wait for the connection and each answer (default 30)
    #[arg(long, value_name = "SECONDS", value_parser = seconds, allow_negative_numbers = true)]
    timeout: Option<Duration>,
    /// The largest answer accepted (default 10485760)
    #[arg(long, value_name = "BYTES", value_parser = bytes, allow_negative_numbers = true)]
    max_size: Option<usize>,
    /// JSON on one line instead of pretty-printed
    #[arg(long)]
    compact: bool,
    /// subscribe: stop after N messages (default: until Ctrl-C)
    #[arg(long, value_name = "N", value_parser = whole_number, allow_negative_numbers = true)]
    count: Option<u64>,
}

impl Given {
    /// The options before the command's name (`self`) and after it: as if
    /// read left to right, the last value of each wins and headers add up.
    fn then(mut self, after: Self) -> Self {
        self.headers.extend(after.headers);
        Self {
            headers: self.headers,
            timeout: after.timeout.or(self.timeout),
            max_size: after.max_size.or(self.max_size),
            compact: self.compact || after.compact,
            count: after.count.or(self.count),
        }
    }
}

/// The parser: [`Line`], with every command taking the options as well,
/// showing the same notes after its help, and printing its version as
/// `rpc 0.1.0` (clap's default there is `rpc-list 0.1.0`).
fn parser() -> clap::Command {
    Line::command().mut_subcommands(|command| {
        Given::augment_args(command)
            .after_help(AFTER_HELP)
            .display_name("rpc")
    })
}

/// Reads the command line, the program's name first. The error is clap's:
/// `--help` and `--version` (printed by [`clap::Error::exit`] with status
/// 0), or a mistake on the line (status 2).
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
    let mut parser = parser();
    let mut matches = parser.try_get_matches_from_mut(args)?;
    let after = match matches.subcommand() {
        Some((_, command)) => Given::from_arg_matches(command),
        None => Ok(Given::default()),
    }
    .map_err(|err| err.format(&mut parser))?;
    let Line { given, mut command } =
        Line::from_arg_matches_mut(&mut matches).map_err(|err| err.format(&mut parser))?;
    let given = given.then(after);
    match &mut command {
        Command::Subscribe { count, .. } => *count = given.count,
        _ if given.count.is_some() => {
            return Err(parser.error(ErrorKind::ArgumentConflict, "--count is for `subscribe`"));
        }
        _ => {}
    }
    let defaults = Options::default();
    let options = Options {
        headers: given.headers,
        timeout: given.timeout.unwrap_or(defaults.timeout),
        max_size: given.max_size.unwrap_or(defaults.max_size),
        compact: given.compact,
    };
    Ok(Cli { options, command })
}

/// `--timeout`: a positive number of seconds, as a duration.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|seconds| *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| "expected a positive number of seconds".to_owned())
}

/// `--max-size`: a positive number of bytes.
fn bytes(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| "expected a positive number of bytes".to_owned())
}

/// `--count`: a whole number.
fn whole_number(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .map_err(|_| "expected a whole number of messages".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Cli, clap::Error> {
        parse(
            std::iter::once("rpc")
                .chain(args.iter().copied())
                .map(OsString::from),
        )
    }

    fn run(args: &[&str]) -> Cli {
        match parse_str(args) {
            Ok(cli) => cli,
            Err(err) => panic!("{args:?}: {err}"),
        }
    }

    /// `args` stop at help or the version: printed on standard output, status 0.
    fn shows(args: &[&str], kind: ErrorKind, says: &str) {
        match parse_str(args) {
            Err(err) => {
                assert_eq!(err.kind(), kind, "{args:?}: {err}");
                assert_eq!(err.exit_code(), 0, "{args:?}");
                assert!(err.to_string().contains(says), "{args:?}: {err}");
            }
            Ok(cli) => panic!("{args:?}: {cli:?}"),
        }
    }

    #[test]
    fn commands_and_their_arguments() {
        assert_eq!(
            run(&["list", "http://h/"]).command,
            Command::List {
                url: "http://h/".into()
            }
        );
        assert_eq!(
            run(&["call", "http://h/", "add", "1", "-2", "-2.5", "-1e3", "a=b"]).command,
            Command::Call {
                url: "http://h/".into(),
                method: "add".into(),
                params: vec![
                    "1".into(),
                    "-2".into(),
                    "-2.5".into(),
                    "-1e3".into(),
                    "a=b".into()
                ],
            }
        );
        // A negative number as the first param, then options after the params.
        let cli = run(&["call", "http://h/", "math.add", "-1", "2", "--compact"]);
        assert_eq!(
            cli.command,
            Command::Call {
                url: "http://h/".into(),
                method: "math.add".into(),
                params: vec!["-1".into(), "2".into()],
            }
        );
        assert!(cli.options.compact);
        assert_eq!(
            run(&["batch", "ws://h/", "-"]).command,
            Command::Batch {
                url: "ws://h/".into(),
                file: "-".into()
            }
        );
        assert_eq!(
            run(&["subscribe", "ws://h/", "ticks", "3", "--count", "2"]).command,
            Command::Subscribe {
                url: "ws://h/".into(),
                topic: "ticks".into(),
                params: vec!["3".into()],
                count: Some(2),
            }
        );
        assert_eq!(
            run(&["--count", "2", "subscribe", "ws://h/", "t", "-5"]).command,
            Command::Subscribe {
                url: "ws://h/".into(),
                topic: "t".into(),
                params: vec!["-5".into()],
                count: Some(2),
            }
        );
        // After `--` everything is a value.
        assert_eq!(
            run(&["notify", "http://h/", "log", "--", "--compact", "-x", "-.5"]).command,
            Command::Notify {
                url: "http://h/".into(),
                method: "log".into(),
                params: vec!["--compact".into(), "-x".into(), "-.5".into()],
            }
        );
    }

    #[test]
    fn options_anywhere_in_either_spelling() {
        let cli = run(&[
            "-H",
            "A: 1",
            "--timeout=7",
            "call",
            "--header=B: 2",
            "http://h/",
            "-HC: 3",
            "m",
            "--timeout",
            "0.5",
            "--compact",
            "--max-size=1024",
        ]);
        // Headers from both sides of the command's name, in order.
        assert_eq!(cli.options.headers, ["A: 1", "B: 2", "C: 3"]);
        // The last value wins.
        assert_eq!(cli.options.timeout, Duration::from_millis(500));
        assert_eq!(cli.options.max_size, 1024);
        assert!(cli.options.compact);
        let before = run(&["--timeout", "2", "-H", "A: 1", "list", "http://h/"]).options;
        assert_eq!(before.timeout, Duration::from_secs(2));
        assert_eq!(before.headers, ["A: 1"]);
        let defaults = run(&["list", "http://h/"]).options;
        assert_eq!(defaults, Options::default());
        // As `--help` states them.
        assert_eq!(defaults.timeout, Duration::from_secs(30));
        assert_eq!(defaults.max_size, 10_485_760);
        assert!(parser()
            .render_help()
            .to_string()
            .contains("(default 10485760)"));
    }

    #[test]
    fn help_and_version() {
        shows(
            &["--help"],
            ErrorKind::DisplayHelp,
            "rpc [OPTIONS] call URL METHOD [PARAM]...",
        );
        shows(
            &["--help"],
            ErrorKind::DisplayHelp,
            "Exit status: 0 success",
        );
        shows(&["-h"], ErrorKind::DisplayHelp, "--max-size <BYTES>");
        shows(&["help"], ErrorKind::DisplayHelp, "subscribe");
        shows(
            &["list", "--help"],
            ErrorKind::DisplayHelp,
            "rpc list [OPTIONS] <URL>",
        );
        shows(
            &["help", "call"],
            ErrorKind::DisplayHelp,
            "PARAMs are one JSON array",
        );
        let version = format!("rpc {}", env!("CARGO_PKG_VERSION"));
        shows(&["-V"], ErrorKind::DisplayVersion, &version);
        shows(&["list", "--version"], ErrorKind::DisplayVersion, &version);
    }

    #[test]
    fn mistakes_are_refused_with_a_reason_and_status_2() {
        let refused = |args: &[&str], says: &[&str]| match parse_str(args) {
            Err(err) => {
                assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
                let text = err.to_string();
                for says in says {
                    assert!(text.contains(says), "{args:?}: {text}");
                }
            }
            Ok(cli) => panic!("{args:?} accepted: {cli:?}"),
        };
        // Nothing at all: the help, on standard error.
        refused(&[], &["Usage: rpc [OPTIONS] list URL"]);
        refused(&["--compact"], &["requires a subcommand"]);
        refused(
            &["fetch", "http://h/"],
            &["unrecognized subcommand 'fetch'"],
        );
        // The usage that follows lists the commands.
        refused(
            &["cal", "http://h/", "m"],
            &["unrecognized subcommand 'cal'", "rpc [OPTIONS] call URL"],
        );
        refused(&["call", "http://h/"], &["required arguments", "<METHOD>"]);
        refused(&["list"], &["required arguments", "<URL>"]);
        refused(
            &["list", "http://h/", "extra"],
            &["unexpected argument 'extra'"],
        );
        refused(
            &["batch", "http://h/", "a.json", "b.json"],
            &["unexpected argument 'b.json'"],
        );
        refused(
            &["list", "http://h/", "--verbose"],
            &[
                "unexpected argument '--verbose'",
                "to pass '--verbose' as a value, use '-- --verbose'",
            ],
        );
        refused(
            &["call", "http://h/", "m", "-.5"],
            // (clap names the first character it does not know)
            &["unexpected argument '-.' found", "as a value, use '-- "],
        );
        refused(
            &["list", "http://h/", "--timeout"],
            &["a value is required for '--timeout <SECONDS>'"],
        );
        for bad in ["0", "-1", "soon", "NaN", "inf", "1e300"] {
            refused(
                &["list", "http://h/", "--timeout", bad],
                &[
                    &format!("invalid value '{bad}' for '--timeout <SECONDS>'"),
                    "expected a positive number of seconds",
                ],
            );
        }
        refused(
            &["list", "http://h/", "--max-size", "0"],
            &["expected a positive number of bytes"],
        );
        refused(
            &["list", "http://h/", "--count", "2"],
            &["--count is for `subscribe`"],
        );
        refused(
            &["--count", "2", "batch", "http://h/", "-"],
            &["--count is for `subscribe`"],
        );
        refused(
            &["subscribe", "ws://h/", "t", "--count", "-1"],
            &["expected a whole number"],
        );
        refused(
            &["list", "http://h/", "--compact=yes"],
            &["unexpected value 'yes' for '--compact'"],
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let args = [
                OsString::from("rpc"),
                OsString::from("call"),
                OsString::from("http://h/"),
                OsString::from_vec(vec![0xff]),
            ];
            let err = parse(args).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidUtf8, "{err}");
            assert_eq!(err.exit_code(), 2);
        }
    }
}
