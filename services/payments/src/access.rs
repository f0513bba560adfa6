//! Who may call payments: it is internal (PRODUCT.md X3); the operator reads.

platform::role_sets! {
    /// Another groupbuy service (groups).
    ServiceOnly => [Service];
    /// Another groupbuy service, or the operator looking.
    ServiceOrOperator => [Service, Operator];
}
