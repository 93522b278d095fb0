//! The command line, read by hand: five commands and five options do not
//! need an argument-parsing crate and its dependency tree.

use std::ffi::OsString;
use std::time::Duration;

use crate::Options;

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub(crate) enum Parsed {
    /// A command to run.
    Run(Cli),
    /// `--help`.
    Help,
    /// `--version`.
    Version,
}

/// A command with its options.
#[derive(Debug, PartialEq)]
pub(crate) struct Cli {
    pub(crate) options: Options,
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    List {
        url: String,
    },
    Call {
        url: String,
        method: String,
        params: Vec<String>,
    },
    Notify {
        url: String,
        method: String,
        params: Vec<String>,
    },
    Batch {
        url: String,
        file: String,
    },
    Subscribe {
        url: String,
        topic: String,
        params: Vec<String>,
        count: Option<u64>,
    },
}

/// Whether `arg` is an option rather than a value: `-` (standard input)
/// and negative numbers (`-1`, `-.5`) are values.
fn is_option(arg: &str) -> bool {
    arg.len() > 1
        && arg.starts_with('-')
        && !arg[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
}

/// Reads the command line (without the program's name).
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut args = args
        .into_iter()
        .enumerate()
        .map(|(index, arg)| {
            arg.into_string()
                .map_err(|arg| format!("argument {} is not UTF-8: {arg:?}", index + 1))
        })
        .collect::<Result<Vec<_>, _>>()?
        .into_iter();
    let mut options = Options::default();
    let mut count = None;
    let mut positional = Vec::new();
    let mut options_ended = false;
    while let Some(arg) = args.next() {
        if options_ended || !is_option(&arg) {
            positional.push(arg);
            continue;
        }
        // `--name=value` and `-Hvalue` carry their value; otherwise it is the next argument.
        let (name, attached) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_owned())),
            _ if arg.starts_with("-H") && arg.len() > 2 => ("-H", Some(arg[2..].to_owned())),
            _ => (arg.as_str(), None),
        };
        let mut value = |what: &str| {
            attached
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name {
            "--" => options_ended = true,
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            "-H" | "--header" => options.headers.push(value("a header, `Name: value`")?),
            "--timeout" => options.timeout = seconds(&value("a number of seconds")?)?,
            "--max-size" => options.max_size = size(&value("a number of bytes")?)?,
            "--count" => {
                let text = value("a number of messages")?;
                count = Some(
                    text.parse::<u64>()
                        .map_err(|_| format!("--count takes a whole number, not `{text}`"))?,
                );
            }
            "--compact" if attached.is_none() => options.compact = true,
            "--compact" => return Err("--compact takes no value".to_owned()),
            _ => {
                return Err(format!(
                    "unknown option `{arg}` (a param that starts with `-` goes after `--`)"
                ))
            }
        }
    }

    let mut positional = positional.into_iter();
    let Some(command) = positional.next() else {
        return Err("no command: list, call, notify, batch or subscribe".to_owned());
    };
    let mut next = |what: &str| {
        positional
            .next()
            .ok_or_else(|| format!("`{command}` needs {what}"))
    };
    let command = match command.as_str() {
        "help" => return Ok(Parsed::Help),
        "list" => Command::List {
            url: next("a URL")?,
        },
        "call" => Command::Call {
            url: next("a URL")?,
            method: next("a method's name")?,
            params: positional.by_ref().collect(),
        },
        "notify" => Command::Notify {
            url: next("a URL")?,
            method: next("a method's name")?,
            params: positional.by_ref().collect(),
        },
        "batch" => Command::Batch {
            url: next("a URL")?,
            file: next("a file (`-` for standard input)")?,
        },
        "subscribe" => Command::Subscribe {
            url: next("a URL")?,
            topic: next("a subscription method or a topic")?,
            params: positional.by_ref().collect(),
            count: count.take(),
        },
        other => {
            return Err(format!(
                "unknown command `{other}`: list, call, notify, batch or subscribe"
            ))
        }
    };
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected `{extra}` after the command"));
    }
    if count.is_some() {
        return Err("--count is for `subscribe`".to_owned());
    }
    Ok(Parsed::Run(Cli { options, command }))
}

/// A positive number of seconds, as a duration.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|seconds| *seconds > 0.0)
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("--timeout takes a positive number of seconds, not `{text}`"))
}

/// A positive number of bytes.
fn size(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("--max-size takes a positive number of bytes, not `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Parsed, String> {
        parse(args.iter().map(OsString::from))
    }

    fn run(args: &[&str]) -> Cli {
        match parse_str(args) {
            Ok(Parsed::Run(cli)) => cli,
            other => panic!("{args:?}: {other:?}"),
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
            run(&["call", "http://h/", "add", "1", "-2", "-.5", "a=b"]).command,
            Command::Call {
                url: "http://h/".into(),
                method: "add".into(),
                params: vec!["1".into(), "-2".into(), "-.5".into(), "a=b".into()],
            }
        );
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
        // After `--` everything is a value.
        assert_eq!(
            run(&["notify", "http://h/", "log", "--", "--compact", "-x"]).command,
            Command::Notify {
                url: "http://h/".into(),
                method: "log".into(),
                params: vec!["--compact".into(), "-x".into()],
            }
        );
    }

    #[test]
    fn options_anywhere_in_either_spelling() {
        let cli = run(&[
            "-H",
            "A: 1",
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
        assert_eq!(cli.options.headers, ["A: 1", "B: 2", "C: 3"]);
        assert_eq!(cli.options.timeout, Duration::from_millis(500));
        assert_eq!(cli.options.max_size, 1024);
        assert!(cli.options.compact);
        let defaults = run(&["list", "http://h/"]).options;
        assert_eq!(defaults, Options::default());
        assert_eq!(defaults.timeout, Duration::from_secs(30));
        assert_eq!(parse_str(&["list", "--help"]), Ok(Parsed::Help));
        assert_eq!(parse_str(&["help"]), Ok(Parsed::Help));
        assert_eq!(parse_str(&["-V"]), Ok(Parsed::Version));
    }

    #[test]
    fn mistakes_are_refused_with_a_reason() {
        let refused = |args: &[&str], says: &str| match parse_str(args) {
            Err(why) => assert!(why.contains(says), "{args:?}: {why}"),
            other => panic!("{args:?} accepted: {other:?}"),
        };
        refused(&[], "no command");
        refused(&["fetch", "http://h/"], "unknown command `fetch`");
        refused(&["call", "http://h/"], "`call` needs a method's name");
        refused(&["list"], "`list` needs a URL");
        refused(&["list", "http://h/", "extra"], "unexpected `extra`");
        refused(
            &["batch", "http://h/", "a.json", "b.json"],
            "unexpected `b.json`",
        );
        refused(
            &["list", "http://h/", "--verbose"],
            "unknown option `--verbose`",
        );
        refused(
            &["list", "http://h/", "--timeout"],
            "--timeout needs a number of seconds",
        );
        for bad in ["0", "-1", "soon", "NaN", "inf", "1e300"] {
            refused(
                &["list", "http://h/", "--timeout", bad],
                "--timeout takes a positive number",
            );
        }
        refused(
            &["list", "http://h/", "--max-size", "0"],
            "--max-size takes a positive number",
        );
        refused(
            &["list", "http://h/", "--count", "2"],
            "--count is for `subscribe`",
        );
        refused(
            &["subscribe", "ws://h/", "t", "--count", "-1"],
            "--count takes a whole number",
        );
        refused(
            &["list", "http://h/", "--compact=yes"],
            "--compact takes no value",
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let args = [OsString::from("call"), OsString::from_vec(vec![0xff])];
            assert!(parse(args).unwrap_err().contains("argument 2 is not UTF-8"));
        }
    }
}
