//! The params decoder, for the tuple shapes `#[rpc]` generates: positional
//! or named, optional trailing arguments, borrowed strings, a flattened
//! whole. Any params text: never a panic, every refusal a -32602 error, and
//! a value decoded by position decodes the same by name.

#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use rpc_core::__private::StrArg;
use rpc_core::{Error, ParamList, Params};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn refused(error: &Error) {
    assert_eq!(error.code().code(), -32602, "{error:?}");
    assert!(!error.message().is_empty());
}

/// Decodes `params` as `T`; refusals must be -32602, and what decodes
/// without unknown members allowed decodes the same with them.
fn decode<'a, T: ParamList<'a> + Debug>(params: Params<'a>, allow_unknown: bool) -> Option<T> {
    let names = &NAMES[..T::LEN];
    match params.decode_with::<T>(names, allow_unknown) {
        Ok(value) => {
            if !allow_unknown {
                let lenient = params.decode_with::<T>(names, true);
                assert_eq!(
                    format!("{:?}", lenient.as_ref().ok()),
                    format!("{:?}", Some(&value)),
                    "allowing unknown members changed a decoding that had none"
                );
            }
            Some(value)
        }
        Err(error) => {
            refused(&error);
            None
        }
    }
}

/// Decodes `params`; a value read by position is written by name and must
/// read back the same.
fn round_trip<T>(params: Params<'_>, allow_unknown: bool)
where
    T: for<'a> ParamList<'a> + Serialize + Debug + PartialEq,
{
    let Some(value) = decode::<T>(params, allow_unknown) else {
        return;
    };
    let Value::Array(items) = serde_json::to_value(&value).unwrap() else {
        panic!("a tuple serializes as an array");
    };
    let named: Map<String, Value> = NAMES
        .iter()
        .zip(items)
        .map(|(name, item)| ((*name).to_owned(), item))
        .collect();
    let text = serde_json::to_string(&named).unwrap();
    let raw = RawValue::from_string(text).unwrap();
    let again = Params::new(Some(&raw)).decode::<T>(&NAMES[..T::LEN]);
    assert_eq!(again.as_ref().ok(), Some(&value), "{}", raw.get());
}

fuzz_target!(|data: &[u8]| {
    let [shape, flags, text @ ..] = data else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let raw: Option<&RawValue> = if text.is_empty() {
        None
    } else {
        // The request parser hands over only an array or an object.
        match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) if matches!(raw.get().as_bytes().first(), Some(b'[' | b'{')) => Some(raw),
            _ => return,
        }
    };
    let params = Params::new(raw);
    let allow_unknown = flags & 1 == 1;
    match shape % 10 {
        0 => round_trip::<(i64, i64)>(params, allow_unknown),
        1 => round_trip::<(i64, Option<i64>)>(params, allow_unknown),
        2 => {
            if let Some((a, b)) = decode::<(StrArg<'_>, Option<StrArg<'_>>)>(params, allow_unknown)
            {
                let _ = (a.0.len(), b.map(|b| b.0.len()));
            }
        }
        3 => round_trip::<(String, Vec<i64>, bool)>(params, allow_unknown),
        // serde_json reads long numbers into f64 within an ulp, not exactly
        // (its float_roundtrip feature is off): no exact round trip for floats.
        4 => drop(decode::<(f64, Option<f64>, u8)>(params, allow_unknown)),
        5 => round_trip::<(Option<String>, Option<u64>, Option<bool>)>(params, allow_unknown),
        6 => drop(decode::<(Value,)>(params, allow_unknown)),
        7 => round_trip::<(Point, Option<Vec<Point>>)>(params, allow_unknown),
        8 => round_trip::<(u64, i8, char, Option<(i32, String)>)>(params, allow_unknown),
        _ => {
            // A `flatten` parameter: the whole params member as one value.
            if let Err(error) = params.parse::<Vec<i64>>() {
                refused(&error);
            }
        }
    }
});
