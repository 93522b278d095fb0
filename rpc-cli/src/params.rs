//! Params from the command line.

use serde_json::{Map, Value};

use crate::Failure;

/// The params of `args`: none; one JSON array or object, as it is; JSON
/// values by position; or `name=value` pairs by name. A value that is not
/// JSON is a string.
pub(crate) fn parse(args: &[String]) -> Result<Option<Value>, Failure> {
    if args.is_empty() {
        return Ok(None);
    }
    if let [only] = args {
        if let Ok(value @ (Value::Array(_) | Value::Object(_))) = serde_json::from_str(only) {
            return Ok(Some(value));
        }
    }
    let pairs: Vec<Option<(&str, &str)>> = args.iter().map(|arg| pair(arg)).collect();
    if pairs.iter().all(Option::is_some) {
        let mut named = Map::new();
        for (name, value) in pairs.into_iter().flatten() {
            if named.insert(name.to_owned(), value_of(value)).is_some() {
                return Err(Failure::Usage(format!("param `{name}` is given twice")));
            }
        }
        return Ok(Some(Value::Object(named)));
    }
    if pairs.iter().any(Option::is_some) {
        return Err(Failure::Usage(
            "params are either all `name=value` (by name) or none (by position)".to_owned(),
        ));
    }
    Ok(Some(Value::Array(
        args.iter().map(|arg| value_of(arg)).collect(),
    )))
}

/// `name=value`, where `name` is a plain name (so `'{"a":1}'` or `1=1` are not pairs).
fn pair(arg: &str) -> Option<(&str, &str)> {
    let (name, value) = arg.split_once('=')?;
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    plain.then_some((name, value))
}

fn value_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(args: &[&str]) -> Option<Value> {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        parse(&args).unwrap_or_else(|_| panic!("{args:?} refused"))
    }

    #[test]
    fn params_by_position_by_name_or_as_written() {
        assert_eq!(params(&[]), None);
        assert_eq!(params(&["[1, 2]"]), Some(json!([1, 2])));
        assert_eq!(params(&[r#"{"a": 1}"#]), Some(json!({"a": 1})));
        assert_eq!(params(&["1", "2.5"]), Some(json!([1, 2.5])));
        assert_eq!(params(&["hello", "true"]), Some(json!(["hello", true])));
        assert_eq!(params(&["7"]), Some(json!([7])));
        assert_eq!(
            params(&["a=1", "name=Ada Lovelace", "p={\"x\":1}"]),
            Some(json!({"a": 1, "name": "Ada Lovelace", "p": {"x": 1}}))
        );
        // Not a name before `=`: a value.
        assert_eq!(params(&["1=1"]), Some(json!(["1=1"])));
    }

    #[test]
    fn mixed_or_repeated_names_are_refused() {
        let args = |args: &[&str]| args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
        assert!(parse(&args(&["a=1", "2"])).is_err());
        assert!(parse(&args(&["a=1", "a=2"])).is_err());
    }
}
