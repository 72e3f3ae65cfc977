use leptos::prelude::*;

use super::skeleton::Skeleton;

/// `/inapp/kyc`, `/inapp/kyc/upload`, `/inapp/kyc/status`: the KYC issue fills
/// these in; today they identify the trader.
#[component]
pub fn KycScreen() -> impl IntoView {
    view! { <Skeleton key="kyc"/> }
}

#[component]
pub fn KycUploadScreen() -> impl IntoView {
    view! { <Skeleton key="kyc_upload"/> }
}

#[component]
pub fn KycStatusScreen() -> impl IntoView {
    view! { <Skeleton key="kyc_status"/> }
}
