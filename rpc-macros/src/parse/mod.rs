//! Reading the annotated item into a model.

pub(crate) mod attr;
pub(crate) mod model;
pub(crate) mod name;

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, ItemImpl, ItemTrait, Token, Visibility};

/// What `#[rpc]` may be put on.
pub(crate) enum Input {
    Trait(ItemTrait),
    Impl(ItemImpl),
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // Look past attributes, visibility and `unsafe`/`auto` to the keyword (as async-trait does).
        let fork = input.fork();
        fork.call(Attribute::parse_outer)?;
        fork.parse::<Visibility>()?;
        let _ = fork.parse::<Option<Token![unsafe]>>();
        let _ = fork.parse::<Option<Token![auto]>>();
        let lookahead = fork.lookahead1();
        if lookahead.peek(Token![trait]) {
            input.parse().map(Input::Trait)
        } else if lookahead.peek(Token![impl]) {
            input.parse().map(Input::Impl)
        } else {
            Err(syn::Error::new(
                input.span(),
                "#[rpc] goes on an impl block (`impl Calculator { ... }`) or a trait (`trait Calculator { ... }`)",
            ))
        }
    }
}
