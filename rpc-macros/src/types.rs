//! What the macro asks of the user's types, and how it rewrites them.
//!
//! A proc macro sees syntax, not types, so every answer is about the type as
//! written: an alias of `&str` is not `&str`, and `Ctx` is not `Context`.
//! Questions about the whole type (does it borrow, does it name `Self`)
//! walk its tokens, nested groups included, so that no spelling hides a
//! reference or a lifetime.

use proc_macro2::{Group, Ident, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{GenericArgument, Generics, Path, PathArguments, Type};

/// Whether the type is a path whose last segment is `Context` (without
/// generic arguments): `Context`, `rpc_core::Context`. A parameter of type
/// `&Context` is taken as the request context, and generated code checks
/// that it really is `&rpc_core::Context`.
pub(crate) fn is_named_context(ty: &Type) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Context" && last.arguments.is_none()),
        _ => false,
    }
}

/// Which of rpc-core's parameter checks a parameter's type gets, for the
/// most helpful message when it does not decode.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ParamCheck {
    /// Any type: `__private::Param`.
    Plain,
    /// A reference other than `&str`: `__private::RefParam`, whose notes
    /// suggest an owned type or the context.
    Reference,
    /// A type named `Context`, by value: `__private::ContextNamedParam`,
    /// whose note points to the request context.
    NamedContext,
}

impl ParamCheck {
    pub(crate) fn of(ty: &Type) -> Self {
        match ty {
            Type::Reference(_) => ParamCheck::Reference,
            ty if is_named_context(ty) => ParamCheck::NamedContext,
            _ => ParamCheck::Plain,
        }
    }

    /// The trait's name in `__private`.
    pub(crate) fn trait_name(self) -> &'static str {
        match self {
            ParamCheck::Plain => "Param",
            ParamCheck::Reference => "RefParam",
            ParamCheck::NamedContext => "ContextNamedParam",
        }
    }
}

/// Whether the type is exactly `&str` (any lifetime), decoded through `StrArg`.
pub(crate) fn is_str_ref(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) if reference.mutability.is_none() => {
            matches!(&*reference.elem, Type::Path(path) if path.qself.is_none() && path.path.is_ident("str"))
        }
        _ => false,
    }
}

/// Whether the type is an `Option<..>` (by its last segment), which callers may leave out.
pub(crate) fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path.path.segments.last().is_some_and(|last| {
            last.ident == "Option" && matches!(last.arguments, PathArguments::AngleBracketed(_))
        }),
        _ => false,
    }
}

/// Whether the type borrows: a `&` or a lifetime anywhere in it.
pub(crate) fn borrows(ty: &impl ToTokens) -> bool {
    any_token(
        ty.to_token_stream(),
        &|token| matches!(token, TokenTree::Punct(punct) if matches!(punct.as_char(), '&' | '\'')),
    )
}

/// Whether the type names `Self` anywhere.
pub(crate) fn mentions_self(ty: &impl ToTokens) -> bool {
    any_token(
        ty.to_token_stream(),
        &|token| matches!(token, TokenTree::Ident(ident) if ident == "Self"),
    )
}

/// Whether a `&` appears anywhere in the type.
pub(crate) fn has_reference(ty: &impl ToTokens) -> bool {
    any_token(
        ty.to_token_stream(),
        &|token| matches!(token, TokenTree::Punct(punct) if punct.as_char() == '&'),
    )
}

/// Whether the identifier `name` appears anywhere in the type.
pub(crate) fn mentions_ident(ty: &impl ToTokens, name: &str) -> bool {
    any_token(
        ty.to_token_stream(),
        &|token| matches!(token, TokenTree::Ident(ident) if ident == name),
    )
}

/// Whether the lifetime `'name` appears anywhere in the tokens.
pub(crate) fn mentions_lifetime(tokens: &impl ToTokens, name: &str) -> bool {
    lifetime_names(tokens.to_token_stream())
        .iter()
        .any(|lifetime| lifetime == name)
}

/// The names of every lifetime in the tokens, groups included.
fn lifetime_names(tokens: TokenStream) -> Vec<String> {
    let mut names = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(punct) if punct.as_char() == '\'' => {
                if let Some(TokenTree::Ident(name)) = tokens.peek() {
                    names.push(name.to_string());
                }
            }
            TokenTree::Group(group) => names.extend(lifetime_names(group.stream())),
            _ => {}
        }
    }
    names
}

/// Whether any token passes `test`, looking inside groups.
fn any_token(tokens: TokenStream, test: &impl Fn(&TokenTree) -> bool) -> bool {
    tokens.into_iter().any(|token| {
        test(&token)
            || match &token {
                TokenTree::Group(group) => any_token(group.stream(), test),
                _ => false,
            }
    })
}

/// The type without its outer references: `&'a [u8]` → `[u8]`. What a
/// reference serializes as is what it points to.
pub(crate) fn peel_references(mut ty: &Type) -> &Type {
    while let Type::Reference(reference) = ty {
        ty = &reference.elem;
    }
    ty
}

/// Whether serde implements both `Serialize` and `Deserialize` for the type
/// as written, judged by its spelling: primitives, `String`, and std's
/// tuples, arrays, slices, references, `Option`, `Vec`, `VecDeque`, `Box`,
/// `Cow` and maps and sets with non-float keys, made of such types. The
/// client names no bound for those, so its rustdoc shows no
/// `where i64: ...` lines. (A type of the user's own that shadows one of
/// these names is reported where the client is generated instead of where
/// it is called: only the place of the error changes.)
pub(crate) fn is_serde_std(ty: &Type) -> bool {
    match ty {
        Type::Paren(inner) => is_serde_std(&inner.elem),
        Type::Group(inner) => is_serde_std(&inner.elem),
        Type::Reference(reference) => {
            reference.mutability.is_none() && is_serde_std(&reference.elem)
        }
        Type::Slice(slice) => is_serde_std(&slice.elem),
        Type::Array(array) => is_serde_std(&array.elem),
        Type::Tuple(tuple) => tuple.elems.iter().all(is_serde_std),
        Type::Path(path) if path.qself.is_none() => std_path(&path.path),
        _ => false,
    }
}

const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
    "u128", "usize", "f32", "f64", "String",
];
const CONTAINERS: &[&str] = &["Option", "Vec", "VecDeque", "Box", "Cow"];
const KEYED: &[&str] = &["HashMap", "BTreeMap", "HashSet", "BTreeSet"];

fn std_path(path: &Path) -> bool {
    let segments: Vec<_> = path.segments.iter().collect();
    let Some((last, prefix)) = segments.split_last() else {
        return false;
    };
    // `String`, `std::string::String`, `::alloc::vec::Vec`, ...
    let std_prefix = prefix.iter().all(|segment| segment.arguments.is_none())
        && prefix.first().is_none_or(|first| {
            matches!(first.ident.to_string().as_str(), "std" | "core" | "alloc")
        });
    if !std_prefix {
        return false;
    }
    let name = last.ident.to_string();
    let args: Vec<&Type> = match &last.arguments {
        PathArguments::None => Vec::new(),
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        PathArguments::Parenthesized(_) => return false,
    };
    if PRIMITIVES.contains(&name.as_str()) {
        args.is_empty()
    } else if CONTAINERS.contains(&name.as_str()) {
        args.len() == 1 && is_serde_std(args[0])
    } else if KEYED.contains(&name.as_str()) {
        // A map or set needs keys that are `Eq + Hash` (or `Ord`) to decode.
        !args.is_empty()
            && args.len() <= 2
            && !matches!(&args[0], Type::Path(key) if key.path.is_ident("f32") || key.path.is_ident("f64"))
            && args.iter().all(|arg| is_serde_std(arg))
    } else {
        false
    }
}

/// A type of a method as generated code can name it: the method's own
/// lifetime parameters (those of `generics`), not in scope there, replaced
/// by `'_` (inferred). Other lifetimes (`'static`, a `for<'x>` binder's) stay.
pub(crate) fn erase_lifetimes(generics: &Generics, ty: &Type) -> TokenStream {
    let own: Vec<&Ident> = generics
        .lifetimes()
        .map(|param| &param.lifetime.ident)
        .collect();
    if own.is_empty() {
        return ty.to_token_stream();
    }
    erase_in(ty.to_token_stream(), &own)
}

fn erase_in(tokens: TokenStream, own: &[&Ident]) -> TokenStream {
    let mut out = Vec::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Punct(quote) if quote.as_char() == '\'' => {
                let named = match tokens.peek() {
                    Some(TokenTree::Ident(name)) if own.contains(&name) => Some(name.span()),
                    _ => None,
                };
                out.push(TokenTree::Punct(quote));
                if let Some(span) = named {
                    tokens.next();
                    out.push(TokenTree::Ident(Ident::new("_", span)));
                }
            }
            TokenTree::Group(group) => {
                let mut erased = Group::new(group.delimiter(), erase_in(group.stream(), own));
                erased.set_span(group.span());
                out.push(TokenTree::Group(erased));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The type a client receives for a result type: borrowed types become
/// owned, at any depth (`&str` → `String`, `&[T]` → `Vec<T>`, `&T` → `T`,
/// `Option<&str>` → `Option<String>`, `Cow<'a, str>` → `Cow<'static, str>`),
/// since an answer outlives the buffer it was read from. `krate` is the
/// runtime crate, through which `String` and `Vec` are named.
pub(crate) fn owned(ty: &TokenStream, krate: &Path) -> TokenStream {
    match syn::parse2::<Type>(ty.clone()) {
        Ok(mut ty) => {
            make_owned(&mut ty, krate);
            ty.to_token_stream()
        }
        Err(_) => ty.clone(),
    }
}

fn make_owned(ty: &mut Type, krate: &Path) {
    match ty {
        Type::Reference(reference) => {
            let replacement: Type = match &mut *reference.elem {
                Type::Path(path) if path.path.is_ident("str") => {
                    syn::parse_quote!(#krate::__private::String)
                }
                Type::Slice(slice) => {
                    make_owned(&mut slice.elem, krate);
                    let elem = &slice.elem;
                    syn::parse_quote!(#krate::__private::Vec<#elem>)
                }
                elem => {
                    make_owned(elem, krate);
                    elem.clone()
                }
            };
            *ty = replacement;
        }
        Type::Path(path) => {
            for segment in &mut path.path.segments {
                if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let GenericArgument::Type(inner) = arg {
                            make_owned(inner, krate);
                        }
                    }
                    // An answer outlives the buffer it was read from: `Cow<'a, str>`
                    // comes back as `Cow<'static, str>`, which owns its text.
                    for arg in &mut args.args {
                        if let GenericArgument::Lifetime(lifetime) = arg {
                            lifetime.ident = syn::Ident::new("static", lifetime.ident.span());
                        }
                    }
                }
            }
        }
        Type::Tuple(tuple) => tuple
            .elems
            .iter_mut()
            .for_each(|elem| make_owned(elem, krate)),
        Type::Array(array) => make_owned(&mut array.elem, krate),
        Type::Paren(paren) => make_owned(&mut paren.elem, krate),
        Type::Group(group) => make_owned(&mut group.elem, krate),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(source: &str) -> Type {
        syn::parse_str(source).unwrap()
    }

    #[test]
    fn a_type_named_context_is_found_by_its_last_segment() {
        assert!(is_named_context(&ty("Context")));
        assert!(is_named_context(&ty("rpc_core::Context")));
        assert!(!is_named_context(&ty("&Context")));
        assert!(!is_named_context(&ty("Context<u8>")));
        assert!(!is_named_context(&ty("ContextLike")));
        assert!(!is_named_context(&ty("<T as X>::Context")));
    }

    #[test]
    fn references_and_types_named_context_get_their_own_check() {
        assert_eq!(ParamCheck::of(&ty("&[u32]")), ParamCheck::Reference);
        assert_eq!(ParamCheck::of(&ty("&'a Ctx")), ParamCheck::Reference);
        assert_eq!(ParamCheck::of(&ty("Context")), ParamCheck::NamedContext);
        assert_eq!(ParamCheck::of(&ty("my::Context")), ParamCheck::NamedContext);
        assert_eq!(ParamCheck::of(&ty("Vec<&str>")), ParamCheck::Plain);
    }

    #[test]
    fn std_types_made_of_std_types_are_known_to_serde() {
        for known in [
            "i64",
            "String",
            "&str",
            "&'a [u8]",
            "()",
            "(u8, String)",
            "[f64; 3]",
            "Option<Vec<u8>>",
            "std::string::String",
            "::std::option::Option<i32>",
            "Box<str>",
            "Cow<'a, str>",
            "HashMap<String, Vec<u8>>",
            "BTreeSet<i64>",
        ] {
            assert!(is_serde_std(&ty(known)), "{known}");
        }
        for unknown in [
            "Query",
            "Vec<Query>",
            "Option<(u8, Query)>",
            "my::String",
            "HashMap<f64, u8>",
            "Rc<str>",
            "&mut u8",
            "Vec<u8, A>",
        ] {
            assert!(!is_serde_std(&ty(unknown)), "{unknown}");
        }
    }

    #[test]
    fn identifiers_and_lifetimes_are_found_at_any_depth() {
        assert!(mentions_ident(&ty("Vec<(u8, T)>"), "T"));
        assert!(!mentions_ident(&ty("Vec<Tee>"), "T"));
        assert!(mentions_lifetime(&ty("Vec<&'c str>"), "c"));
        assert!(!mentions_lifetime(&ty("&'cd str"), "c"));
    }

    #[test]
    fn outer_references_are_peeled() {
        assert_eq!(
            peel_references(&ty("&&'a [u8]"))
                .to_token_stream()
                .to_string(),
            "[u8]"
        );
        assert_eq!(
            peel_references(&ty("Vec<&u8>"))
                .to_token_stream()
                .to_string(),
            ty("Vec<&u8>").to_token_stream().to_string()
        );
    }

    #[test]
    fn only_a_shared_str_reference_is_a_str_ref() {
        assert!(is_str_ref(&ty("&str")));
        assert!(is_str_ref(&ty("&'a str")));
        assert!(!is_str_ref(&ty("&mut str")));
        assert!(!is_str_ref(&ty("&std::primitive::str")));
        assert!(!is_str_ref(&ty("String")));
        assert!(!is_str_ref(&ty("Option<&str>")));
    }

    #[test]
    fn an_option_is_known_by_its_last_segment() {
        assert!(is_option(&ty("Option<u8>")));
        assert!(is_option(&ty("std::option::Option<&str>")));
        assert!(!is_option(&ty("Option")));
        assert!(!is_option(&ty("Vec<Option<u8>>")));
        assert!(!is_option(&ty("&Option<u8>")));
    }

    #[test]
    fn references_and_lifetimes_borrow_at_any_depth() {
        assert!(borrows(&ty("&str")));
        assert!(borrows(&ty("Cow<'a, str>")));
        assert!(borrows(&ty("Vec<(u8, &'static str)>")));
        assert!(borrows(&ty("[&u8; 2]")));
        assert!(borrows(&ty("Box<dyn Fn(&u8)>")));
        assert!(!borrows(&ty("HashMap<String, Vec<u8>>")));
        assert!(!borrows(&ty("(u8, [String; 2])")));
    }

    #[test]
    fn self_is_found_at_any_depth() {
        assert!(mentions_self(&ty("Self")));
        assert!(mentions_self(&ty("Vec<(u8, Self)>")));
        assert!(mentions_self(&ty("[Self::Item; 2]")));
        assert!(!mentions_self(&ty("SelfTest")));
        assert!(!mentions_self(&ty("MySelf<u8>")));
    }

    fn erased(generics: &str, source: &str) -> String {
        let generics: Generics = syn::parse_str(generics).unwrap();
        erase_lifetimes(&generics, &ty(source)).to_string()
    }

    #[test]
    fn only_the_methods_own_lifetimes_are_erased() {
        assert_eq!(
            erased("<'a>", "&'a str"),
            ty("&'_ str").to_token_stream().to_string()
        );
        assert_eq!(
            erased("<'a>", "Vec<(Cow<'a, str>, &'static str)>"),
            ty("Vec<(Cow<'_, str>, &'static str)>")
                .to_token_stream()
                .to_string()
        );
        assert_eq!(
            erased("<'a>", "&'b str"),
            ty("&'b str").to_token_stream().to_string()
        );
        assert_eq!(
            erased("", "&'a str"),
            ty("&'a str").to_token_stream().to_string()
        );
    }

    fn owned_text(source: &str) -> String {
        owned(
            &ty(source).to_token_stream(),
            &syn::parse_quote!(::rpc_core),
        )
        .to_string()
    }

    fn text(source: &str) -> String {
        ty(source).to_token_stream().to_string()
    }

    #[test]
    fn borrowed_results_come_back_owned() {
        assert_eq!(owned_text("&str"), text("::rpc_core::__private::String"));
        assert_eq!(
            owned_text("&'a [u8]"),
            text("::rpc_core::__private::Vec<u8>")
        );
        assert_eq!(owned_text("&u8"), text("u8"));
        assert_eq!(
            owned_text("Option<&'static str>"),
            text("Option<::rpc_core::__private::String>")
        );
        assert_eq!(owned_text("Cow<'a, str>"), text("Cow<'static, str>"));
        assert_eq!(
            owned_text("(&str, [&[u8]; 2])"),
            text("(::rpc_core::__private::String, [::rpc_core::__private::Vec<u8>; 2])")
        );
        assert_eq!(owned_text("i64"), text("i64"));
    }
}
