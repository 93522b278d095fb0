struct S;

#[rpc_core::rpc]
impl S {
    fn pick<'a, T: serde::Serialize>(&self, text: &'a str, value: T) -> &'a str {
        let _ = value;
        text
    }
}

fn main() {}
