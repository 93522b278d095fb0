//! The values `#[rpc]` checks at compile time are the ones rpc-core applies
//! at run time. The macro crate cannot depend on rpc-core, so each keeps its
//! own copy; this test fails when one side changes without the other.

use std::marker::PhantomData;

use rpc_core::ParamList;

/// The separator, the reserved prefix and the most parameters, as the macro applies them.
const MACRO: (char, &str, usize) = rpc_macros::__constants!();

#[test]
fn namespaces_join_names_with_the_same_separator() {
    assert_eq!(MACRO.0, rpc_core::NAMESPACE_SEPARATOR);
}

#[test]
fn the_same_prefix_is_reserved() {
    assert_eq!(MACRO.1, rpc_core::RESERVED_PREFIX);
}

/// A tuple type, probed for `ParamList` by autoref specialisation: the
/// method on `&Probe<T>` needs the bound and wins when it holds; the one on
/// `Probe<T>` answers otherwise.
struct Probe<T>(PhantomData<T>);

trait Decodes {
    fn decodes(&self) -> bool {
        true
    }
}

impl<T: for<'de> ParamList<'de>> Decodes for &Probe<T> {}

trait DoesNotDecode {
    fn decodes(&self) -> bool {
        false
    }
}

impl<T> DoesNotDecode for Probe<T> {}

/// For each prefix of the given types, from `()` up to all of them, whether
/// rpc-core decodes a tuple of that length.
macro_rules! decodable_lengths {
    ($($T:ident)*) => {
        decodable_lengths!(@probe [] $($T)*)
    };
    (@probe [$($seen:ident)*]) => {
        vec![(&&Probe::<($($seen,)*)>(PhantomData)).decodes()]
    };
    (@probe [$($seen:ident)*] $next:ident $($rest:ident)*) => {{
        let mut lengths = vec![(&&Probe::<($($seen,)*)>(PhantomData)).decodes()];
        lengths.extend(decodable_lengths!(@probe [$($seen)* $next] $($rest)*));
        lengths
    }};
}

#[test]
fn methods_take_as_many_parameters_as_rpc_core_decodes() {
    // Tuples of 0 to 24 `u8`s, well past any arity rpc-core implements.
    let decodes = decodable_lengths!(
        u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8 u8
    );
    let longest = decodes
        .iter()
        .rposition(|&decodes| decodes)
        .expect("the empty tuple decodes");
    assert!(
        decodes[..=longest].iter().all(|&decodes| decodes),
        "rpc-core decodes every tuple length up to its longest: {decodes:?}"
    );
    assert!(
        longest < decodes.len() - 1,
        "probe longer tuples: rpc-core decodes all {longest} probed"
    );
    assert_eq!(MACRO.2, longest);
}
