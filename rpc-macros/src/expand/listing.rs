//! The compile-time listing, `METHODS`.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::Paths;
use crate::parse::model::{Method, Service};
use crate::parse::name::ServedName;
use crate::types::erase_lifetimes;

// Input:
//     /// Adds.
//     #[rpc(alias = "plus", errors = [OVERFLOW])] fn add(&self, a: i64, b: Option<i64>) -> i64
// Output (one element of the slice):
//     MethodInfo::new("add", &["plus"], &[
//             ParamInfo::new("a", "i64", false).with_schema(type_schema!(i64)),
//             ParamInfo::new("b", "Option<i64>", true).with_schema(type_schema!(Option<i64>))],
//         "i64", false, false, "Adds.")
//         .with_result_schema(type_schema!(i64))
//         .with_errors(&[OVERFLOW])
// (`type_schema!` is a `TypeSchema` made by `schemars` with rpc-core's
// `schemars` feature, and none without it.)
pub(crate) fn methods(service: &Service<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let entries = service
        .methods
        .iter()
        .map(|method| entry(method, &service.attrs.guards, paths));
    quote!(&[#(#entries),*] as &'static [#krate::MethodInfo])
}

fn entry(method: &Method<'_>, service_guards: &[syn::Expr], paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let name = method.name.served().full();
    let aliases = method.name.aliases().iter().map(ServedName::full);
    let generics = &method.sig.generics;
    let schema = |ty: &syn::Type| {
        let erased = erase_lifetimes(generics, ty);
        quote!(#krate::__private::type_schema!(#erased))
    };
    let params = method.params().map(|param| {
        let name = &param.name;
        let ty = type_text(param.ty);
        let optional = param.optional;
        let schema = schema(param.ty);
        let flattened = param.flatten.as_ref().map(|_| quote!(.flattened()));
        quote!(#krate::ParamInfo::new(#name, #ty, #optional).with_schema(#schema) #flattened)
    });
    let success = method.ret.success();
    let returns = type_text(&success);
    let notification = method.attrs.notification;
    let blocking = method.attrs.blocking.is_some();
    let docs = &method.docs;
    let mut entry = quote! {
        #krate::MethodInfo::new(#name, &[#(#aliases),*], &[#(#params),*], #returns, #notification, #blocking, #docs)
    };
    if method.subscription.is_none() && !method.attrs.notification {
        let success: syn::Type = syn::parse2(success).expect("a success type is a type");
        let schema = schema(&success);
        entry = quote!(#entry.with_result_schema(#schema));
    }
    let errors = &method.attrs.errors;
    if !errors.is_empty() {
        entry = quote!(#entry.with_errors(&[#(#errors),*]));
    }
    let guards: Vec<String> = service_guards
        .iter()
        .chain(&method.attrs.guards)
        .map(type_text)
        .collect();
    if !guards.is_empty() {
        entry = quote!(#entry.with_guards(&[#(#guards),*]));
    }
    if let Some(subscription) = &method.subscription {
        let notification = &subscription.notification;
        let unsubscribe = subscription
            .unsubscribe
            .as_ref()
            .map_or("", |unsubscribe| unsubscribe.full());
        let item = subscription.item.map(type_text).unwrap_or_default();
        let item_schema = subscription.item.map(|item| {
            let schema = schema(item);
            quote!(.with_item_schema(#schema))
        });
        entry = quote! {
            #entry.with_subscription(#krate::SubscriptionInfo::new(#notification, #unsubscribe, #item) #item_schema)
        };
    }
    entry
}

/// A type as a person writes it: `Option<Vec<u8>>`, not `Option < Vec < u8 > >`.
pub(crate) fn type_text(ty: &impl ToTokens) -> String {
    let spaced = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(spaced.len());
    let mut chars = spaced.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ' ' {
            out.push(c);
            continue;
        }
        let before = out.chars().last();
        let after = chars.peek().copied();
        // Keep a space only between two word characters (`dyn Trait`, `'a str`),
        // after `,` and `;`, and around `=` and `+`.
        let word =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '\'');
        let spaced_op = |c: Option<char>| matches!(c, Some('=' | '+'));
        let keep = (word(before) && word(after))
            || matches!(before, Some(',' | ';'))
            || spaced_op(before)
            || spaced_op(after)
            || (before == Some('>') && word(after));
        if keep {
            out.push(' ');
        }
    }
    out.replace("& '", "&'")
        .replace("-> ", "->")
        .replace("->", " -> ")
}

#[cfg(test)]
mod tests {
    use super::type_text;

    fn text(source: &str) -> String {
        type_text(&syn::parse_str::<syn::Type>(source).unwrap())
    }

    #[test]
    fn types_read_as_written() {
        assert_eq!(text("Option<Vec<u8>>"), "Option<Vec<u8>>");
        assert_eq!(text("&'a str"), "&'a str");
        assert_eq!(text("&str"), "&str");
        assert_eq!(
            text("HashMap<String, (i32, bool)>"),
            "HashMap<String, (i32, bool)>"
        );
        assert_eq!(
            text("std::borrow::Cow<'static, str>"),
            "std::borrow::Cow<'static, str>"
        );
        assert_eq!(text("[u8; 4]"), "[u8; 4]");
        assert_eq!(text("Box<dyn Fn(u8) -> u8>"), "Box<dyn Fn(u8) -> u8>");
        assert_eq!(text("()"), "()");
        assert_eq!(
            text("Box<dyn Iterator<Item = u8> + Send>"),
            "Box<dyn Iterator<Item = u8> + Send>"
        );
    }
}
