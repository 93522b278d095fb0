//! The typed client stub and its batch builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::server::nameable;
use super::{listing, respan, Paths};
use crate::parse::attr::ParamStyle;
use crate::parse::model::{Method, Ret, Service};

// Input:
//     #[rpc] impl Calculator { fn add(&self, a: i64, b: i64) -> i64 { .. } }
// Output:
//     pub struct CalculatorClient<T> { client: Client<T> }
//     impl<T: Transport> CalculatorClient<T> {
//         pub fn new(transport: __T) -> Self { .. }
//         pub fn add(&self, a: i64, b: i64) -> impl Future<Output = Result<i64, ClientError>> + Send + '_ {
//             self.client.request("add", (a, b))
//         }
//     }
//     impl CalculatorClient<()> { pub const METHODS: &'static [MethodInfo] = &[..]; }
//     pub struct CalculatorBatch<'c, T> { batch: Batch<'c, T> }
//     impl<T: Transport> CalculatorBatch<'_, T> {
//         pub fn add(&mut self, a: i64, b: i64) -> Result<BatchEntry<i64>, ClientError> { .. }
//         pub async fn send(self) -> Result<BatchResponse, ClientError> { .. }
//     }
pub(crate) fn generate(service: &Service<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let vis = &service.vis;
    let client = &service.client;
    let batch = batch_ident(service);
    let service_name = service.ident.to_string();
    let client_doc = format!(
        "A typed client for [`{service_name}`]: one method per RPC method, over any `Transport`."
    );
    let batch_doc = format!(
        "A batch of calls to [`{service_name}`], built with typed methods; sent with `send`."
    );
    let methods = listing::methods(service, paths);
    let calls = service
        .methods
        .iter()
        .map(|method| client_fn(method, paths));
    let batch_calls = service.methods.iter().map(|method| batch_fn(method, paths));

    quote! {
        #[doc = #client_doc]
        #[allow(unreachable_pub)]
        #vis struct #client<__T> {
            client: #krate::client::Client<__T>,
        }

        impl<__T> #krate::__private::Clone for #client<__T>
        where
            __T: #krate::__private::Clone,
        {
            fn clone(&self) -> Self {
                Self { client: #krate::__private::Clone::clone(&self.client) }
            }
        }

        impl<__T> #krate::__private::fmt::Debug for #client<__T> {
            fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                #krate::__private::fmt::Debug::fmt(&self.client, f)
            }
        }

        impl #client<()> {
            /// The RPC methods of the service: names, aliases, parameters, types and docs.
            #[allow(unreachable_pub)]
            pub const METHODS: &'static [#krate::MethodInfo] = #methods;
        }

        impl<__T: #krate::client::Transport> #client<__T> {
            /// A client that sends over `transport`.
            #[allow(unreachable_pub)]
            pub fn new(transport: __T) -> Self {
                Self { client: #krate::client::Client::new(transport) }
            }

            /// A typed client over an existing untyped one (sharing its ids).
            #[allow(unreachable_pub)]
            pub fn from_client(client: #krate::client::Client<__T>) -> Self {
                Self { client }
            }

            /// The untyped client underneath, for calls by name.
            #[allow(unreachable_pub)]
            pub fn client(&self) -> &#krate::client::Client<__T> {
                &self.client
            }

            /// Starts a batch with one typed method per RPC method.
            #[allow(unreachable_pub)]
            pub fn batch(&self) -> #batch<'_, __T> {
                #batch { batch: self.client.batch() }
            }

            #(#calls)*
        }

        #[doc = #batch_doc]
        #[allow(unreachable_pub)]
        #vis struct #batch<'__c, __T> {
            batch: #krate::client::Batch<'__c, __T>,
        }

        impl<__T> #krate::__private::fmt::Debug for #batch<'_, __T> {
            fn fmt(&self, f: &mut #krate::__private::fmt::Formatter<'_>) -> #krate::__private::fmt::Result {
                #krate::__private::fmt::Debug::fmt(&self.batch, f)
            }
        }

        impl<'__c, __T: #krate::client::Transport> #batch<'__c, __T> {
            /// The untyped batch underneath, to add calls by name.
            #[allow(unreachable_pub)]
            pub fn inner(&mut self) -> &mut #krate::client::Batch<'__c, __T> {
                &mut self.batch
            }

            /// Sends the batch; read each result with its entry.
            #[allow(unreachable_pub)]
            pub async fn send(self) -> #krate::__private::Result<#krate::client::BatchResponse, #krate::client::ClientError> {
                self.batch.send().await
            }

            #(#batch_calls)*
        }
    }
}

/// `CalculatorClient` → `CalculatorBatch`; a `client = "..."` name not ending
/// in `Client` gets `Batch` appended.
pub(crate) fn batch_ident(service: &Service<'_>) -> syn::Ident {
    let client = service.client.to_string();
    match client.strip_suffix("Client") {
        Some(stem) if !stem.is_empty() => format_ident!("{}Batch", stem),
        _ => format_ident!("{}Batch", client),
    }
}

/// The params value sent for a call: a tuple (positional) or named pairs.
fn params_expr(method: &Method<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let idents: Vec<_> = method.params().map(|param| &param.ident).collect();
    if idents.is_empty() {
        return quote!(());
    }
    if let Some(param) = method.flattened() {
        let ident = &param.ident;
        return quote!(#ident);
    }
    match method.params_style {
        ParamStyle::Positional => quote!((#(#idents,)*)),
        ParamStyle::Named => {
            let names = method.params().map(|param| &param.name);
            quote!(#krate::__private::Named((#((#names, #idents),)*)))
        }
    }
}

fn docs(method: &Method<'_>) -> TokenStream {
    let summary = if method.attrs.notification {
        format!(
            "Sends `{}` as a notification; does not wait for it to run.",
            method.name
        )
    } else {
        format!("Calls `{}`.", method.name)
    };
    let user_docs = method
        .original_attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"));
    quote! {
        #(#user_docs)*
        #[doc = ""]
        #[doc = #summary]
    }
}

/// Bounds that report a param type without `Serialize`, or a result type
/// without `Deserialize`, at the user's type (see `server::type_checks`).
fn client_checks(method: &Method<'_>, paths: &Paths) -> Vec<TokenStream> {
    let krate = &paths.krate;
    let mut checks: Vec<TokenStream> = method
        .params()
        .filter(|param| nameable(param.ty))
        .map(|param| {
            let ty = param.ty;
            let bound = respan(quote!(#krate::__private::serde::Serialize), ty.span());
            quote!(#ty: #bound)
        })
        .collect();
    if !method.attrs.notification {
        if let Ret::Plain(ty) | Ret::Result { ok: ty, .. } = &method.ret {
            if nameable(ty) {
                let bound = respan(
                    quote!(#krate::__private::serde::de::DeserializeOwned),
                    ty.span(),
                );
                checks.push(quote!(#ty: #bound));
            }
        }
    }
    checks
}

/// The type a client receives for a result type: borrowed types become
/// owned, at any depth (`&str` → `String`, `&[T]` → `Vec<T>`, `&T` → `T`,
/// `Option<&str>` → `Option<String>`, `Cow<'a, str>` → `Cow<'static, str>`),
/// since an answer outlives the buffer it was read from.
fn owned(ty: &TokenStream, krate: &syn::Path) -> TokenStream {
    match syn::parse2::<syn::Type>(ty.clone()) {
        Ok(mut ty) => {
            make_owned(&mut ty, krate);
            ty.to_token_stream()
        }
        Err(_) => ty.clone(),
    }
}

fn make_owned(ty: &mut syn::Type, krate: &syn::Path) {
    match ty {
        syn::Type::Reference(reference) => {
            let replacement: syn::Type = match &mut *reference.elem {
                syn::Type::Path(path) if path.path.is_ident("str") => {
                    syn::parse_quote!(#krate::__private::String)
                }
                syn::Type::Slice(slice) => {
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
        syn::Type::Path(path) => {
            for segment in &mut path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(inner) = arg {
                            make_owned(inner, krate);
                        }
                    }
                    // An answer outlives the buffer it was read from: `Cow<'a, str>`
                    // comes back as `Cow<'static, str>`, which owns its text.
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Lifetime(lifetime) = arg {
                            lifetime.ident = syn::Ident::new("static", lifetime.ident.span());
                        }
                    }
                }
            }
        }
        syn::Type::Tuple(tuple) => tuple
            .elems
            .iter_mut()
            .for_each(|elem| make_owned(elem, krate)),
        syn::Type::Array(array) => make_owned(&mut array.elem, krate),
        syn::Type::Paren(paren) => make_owned(&mut paren.elem, krate),
        syn::Type::Group(group) => make_owned(&mut group.elem, krate),
        _ => {}
    }
}

/// What a client method and a batch method of one RPC method share.
struct Call {
    ident: syn::Ident,
    /// The method's lifetime parameters, which borrowed argument types name.
    lifetimes: TokenStream,
    name: String,
    args: Vec<TokenStream>,
    params: TokenStream,
    docs: TokenStream,
    checks: Vec<TokenStream>,
}

impl Call {
    fn new(method: &Method<'_>, paths: &Paths) -> Self {
        Call {
            ident: method.sig.ident.clone(),
            lifetimes: lifetimes(method),
            name: method.name.clone(),
            args: method
                .params()
                .map(|param| {
                    let (ident, ty) = (&param.ident, param.ty);
                    quote!(#ident: #ty)
                })
                .collect(),
            params: params_expr(method, paths),
            docs: docs(method),
            checks: client_checks(method, paths),
        }
    }
}

/// `<'a, ..>` when the method has lifetime parameters (the only generics it may have).
fn lifetimes(method: &Method<'_>) -> TokenStream {
    let generics = &method.sig.generics;
    if generics.params.is_empty() {
        TokenStream::new()
    } else {
        let params = &generics.params;
        quote!(<#params>)
    }
}

fn client_fn(method: &Method<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let Call {
        ident,
        lifetimes,
        name,
        args,
        params,
        docs,
        checks,
    } = Call::new(method, paths);
    let error = quote!(#krate::client::ClientError);
    if method.attrs.notification {
        quote! {
            #docs
            #[allow(unreachable_pub)]
            pub fn #ident #lifetimes (&self, #(#args),*)
                -> impl #krate::__private::Future<Output = #krate::__private::Result<(), #error>> + #krate::__private::Send + '_
            where
                #(#checks,)*
            {
                self.client.send_notification(self.client.prepare_notification(#name, #params))
            }
        }
    } else {
        let success = owned(&method.ret.success(), krate);
        let output =
            quote_spanned!(method.sig.output.span()=> #krate::__private::Result<#success, #error>);
        quote! {
            #docs
            #[allow(unreachable_pub)]
            pub fn #ident #lifetimes (&self, #(#args),*)
                -> impl #krate::__private::Future<Output = #output> + #krate::__private::Send + '_
            where
                #(#checks,)*
            {
                self.client.send_request(self.client.prepare_request(#name, #params))
            }
        }
    }
}

fn batch_fn(method: &Method<'_>, paths: &Paths) -> TokenStream {
    let krate = &paths.krate;
    let Call {
        ident,
        lifetimes,
        name,
        args,
        params,
        docs,
        checks,
    } = Call::new(method, paths);
    let error = quote!(#krate::client::ClientError);
    if method.attrs.notification {
        quote! {
            #docs
            #[allow(unreachable_pub)]
            pub fn #ident #lifetimes (&mut self, #(#args),*) -> #krate::__private::Result<(), #error>
            where
                #(#checks,)*
            {
                self.batch.notify(#name, #params)
            }
        }
    } else {
        let success = owned(&method.ret.success(), krate);
        quote! {
            #docs
            #[allow(unreachable_pub)]
            pub fn #ident #lifetimes (&mut self, #(#args),*)
                -> #krate::__private::Result<#krate::client::BatchEntry<#success>, #error>
            where
                #(#checks,)*
            {
                self.batch.request(#name, #params)
            }
        }
    }
}
