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

/// `&Context`, `&'a rpc_core::Context`, ...: `Some((by_ref, mutable))` when
/// the last path segment is `Context`.
pub(crate) fn context_type(ty: &Type) -> Option<(bool, bool)> {
    let (inner, by_ref, mutable) = match ty {
        Type::Reference(reference) => (&*reference.elem, true, reference.mutability.is_some()),
        other => (other, false, false),
    };
    match inner {
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            (last.ident == "Context" && last.arguments.is_none()).then_some((by_ref, mutable))
        }
        _ => None,
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

/// Whether a type can stand in a where clause as written: no references,
/// lifetimes or `Self`.
pub(crate) fn nameable(ty: &impl ToTokens) -> bool {
    !borrows(ty) && !mentions_self(ty)
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
    fn the_context_is_found_by_its_last_segment() {
        assert_eq!(context_type(&ty("&Context")), Some((true, false)));
        assert_eq!(
            context_type(&ty("&'a rpc_core::Context")),
            Some((true, false))
        );
        assert_eq!(context_type(&ty("&mut Context")), Some((true, true)));
        assert_eq!(context_type(&ty("Context")), Some((false, false)));
        assert_eq!(context_type(&ty("&Context<u8>")), None);
        assert_eq!(context_type(&ty("&ContextLike")), None);
        assert_eq!(context_type(&ty("&<T as X>::Context")), None);
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

    #[test]
    fn nameable_types_neither_borrow_nor_name_self() {
        assert!(nameable(&ty("Vec<Option<u8>>")));
        assert!(nameable(&ty("SelfTest")));
        assert!(!nameable(&ty("&str")));
        assert!(!nameable(&ty("Cow<'static, str>")));
        assert!(!nameable(&ty("Option<Self>")));
        assert!(!nameable(&ty("(u8, (Vec<&u8>,))")));
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
