//! The typed client stub and its batch builder.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Path;

use super::{listing, respan, Paths};
use crate::parse::attr::ParamStyle;
use crate::parse::model::{Method, Ret, Service};
use crate::types::{nameable, owned};

// Input:
//     #[rpc] impl Calculator { fn add(&self, a: i64, b: i64) -> i64 { .. } }
// Output:
//     pub struct CalculatorClient<T> { client: Client<T> }
//     impl<T: Transport> CalculatorClient<T> {
//         pub fn new(transport: T) -> Self { .. }
//         pub fn add(&self, a: i64, b: i64) -> impl Future<Output = Result<i64, ClientError>> + Send + '_ {
//             self.client.send_request(self.client.prepare_request("add", (a, b,)))
//         }
//     }
//     impl CalculatorClient<()> { pub const METHODS: &'static [MethodInfo] = &[..]; }
//     pub struct CalculatorBatch<'c, T> { batch: Batch<'c, T> }
//     impl<T: Transport> CalculatorBatch<'_, T> {
//         pub fn add(&mut self, a: i64, b: i64) -> Result<BatchEntry<i64>, ClientError> { .. }
//         pub async fn send(self) -> Result<BatchResponse, ClientError> { .. }
//     }
//
// One method of each per RPC method, from `Call::client_fn` and `Call::batch_fn`.
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
    let calls: Vec<Call<'_>> = service
        .methods
        .iter()
        .map(|method| Call::new(method, paths))
        .collect();
    let client_fns = calls.iter().map(Call::client_fn);
    let batch_fns = calls.iter().map(Call::batch_fn);

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

            #(#client_fns)*
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

            #(#batch_fns)*
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

/// The user's docs, then what the call does.
fn docs(method: &Method<'_>) -> TokenStream {
    let name = method.name.served().full();
    let summary = if method.attrs.notification {
        format!("Sends `{name}` as a notification; does not wait for it to run.")
    } else {
        format!("Calls `{name}`.")
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

/// What the four generators of one RPC method share (client or batch,
/// request or notification): everything but the receiver, the return type
/// and the body.
struct Call<'a> {
    krate: &'a Path,
    method: &'a Method<'a>,
    /// The name the call is sent under.
    name: &'a str,
    /// The method's lifetime parameters, which borrowed argument types name.
    lifetimes: TokenStream,
    /// `a: i64, b: &str`: the RPC parameters, as the method takes them.
    args: Vec<TokenStream>,
    /// The params value sent.
    params: TokenStream,
    /// The user's docs and a summary of the call.
    docs: TokenStream,
    /// Bounds that report unusable types at the user's tokens.
    checks: Vec<TokenStream>,
}

impl<'a> Call<'a> {
    fn new(method: &'a Method<'a>, paths: &'a Paths) -> Self {
        Call {
            krate: &paths.krate,
            method,
            name: method.name.served().full(),
            lifetimes: lifetimes(method),
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

    /// The method of the typed client.
    fn client_fn(&self) -> TokenStream {
        if self.method.attrs.notification {
            client_notification(self)
        } else {
            client_request(self)
        }
    }

    /// The method of the typed batch.
    fn batch_fn(&self) -> TokenStream {
        if self.method.attrs.notification {
            batch_notification(self)
        } else {
            batch_request(self)
        }
    }

    /// The frame every generator fills: docs, signature, bound checks, and
    /// `body`, with `receiver` and `output` its own.
    fn function(
        &self,
        receiver: TokenStream,
        output: TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        let Call {
            method,
            lifetimes,
            args,
            docs,
            checks,
            ..
        } = self;
        let ident = method.name.rust();
        quote! {
            #docs
            #[allow(unreachable_pub)]
            pub fn #ident #lifetimes (#receiver, #(#args),*) #output
            where
                #(#checks,)*
            {
                #body
            }
        }
    }

    /// What the caller receives on success, owned.
    fn success(&self) -> TokenStream {
        owned(&self.method.ret.success(), self.krate)
    }

    /// What every call fails with.
    fn error(&self) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::client::ClientError)
    }
}

// Input:
//     fn add(&self, a: i64, b: i64) -> i64
// Output:
//     pub fn add(&self, a: i64, b: i64)
//         -> impl Future<Output = Result<i64, ClientError>> + Send + '_
//     where i64: Serialize, i64: Serialize, i64: DeserializeOwned,
//     { self.client.send_request(self.client.prepare_request("add", (a, b,))) }
//
// The `Result` carries the span of the method's return type, so that errors
// about it point there.
fn client_request(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        method,
        name,
        params,
        ..
    } = call;
    let (success, error) = (call.success(), call.error());
    let output =
        quote_spanned!(method.sig.output.span()=> #krate::__private::Result<#success, #error>);
    call.function(
        quote!(&self),
        quote! {
            -> impl #krate::__private::Future<Output = #output> + #krate::__private::Send + '_
        },
        quote!(self.client.send_request(self.client.prepare_request(#name, #params))),
    )
}

// Input:
//     #[rpc(notification)] fn log(&self, line: String)
// Output:
//     pub fn log(&self, line: String)
//         -> impl Future<Output = Result<(), ClientError>> + Send + '_
//     where String: Serialize,
//     { self.client.send_notification(self.client.prepare_notification("log", (line,))) }
fn client_notification(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        name,
        params,
        ..
    } = call;
    let error = call.error();
    call.function(
        quote!(&self),
        quote! {
            -> impl #krate::__private::Future<Output = #krate::__private::Result<(), #error>> + #krate::__private::Send + '_
        },
        quote!(self.client.send_notification(self.client.prepare_notification(#name, #params))),
    )
}

// Input:
//     fn add(&self, a: i64, b: i64) -> i64
// Output:
//     pub fn add(&mut self, a: i64, b: i64) -> Result<BatchEntry<i64>, ClientError>
//     where i64: Serialize, i64: Serialize, i64: DeserializeOwned,
//     { self.batch.request("add", (a, b,)) }
fn batch_request(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        name,
        params,
        ..
    } = call;
    let (success, error) = (call.success(), call.error());
    call.function(
        quote!(&mut self),
        quote! {
            -> #krate::__private::Result<#krate::client::BatchEntry<#success>, #error>
        },
        quote!(self.batch.request(#name, #params)),
    )
}

// Input:
//     #[rpc(notification)] fn log(&self, line: String)
// Output:
//     pub fn log(&mut self, line: String) -> Result<(), ClientError>
//     where String: Serialize,
//     { self.batch.notify("log", (line,)) }
fn batch_notification(call: &Call<'_>) -> TokenStream {
    let Call {
        krate,
        name,
        params,
        ..
    } = call;
    let error = call.error();
    call.function(
        quote!(&mut self),
        quote!(-> #krate::__private::Result<(), #error>),
        quote!(self.batch.notify(#name, #params)),
    )
}
