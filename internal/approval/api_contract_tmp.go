package approval

// ViaAPI is the channel of a decision made through the API.
// TEMPORARY: the identity contract (h1) declares it; delete this file when
// merging it.
const ViaAPI = "api"
