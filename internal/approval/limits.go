package approval

import "fmt"

// Size caps that keep a gate within AWS's limits. The provider refuses at
// plan time a configuration above them; the handlers refuse a vote that
// would cross them.
const (
	// MaxMinApprovals is the largest min_approvals. Each approval is a vote
	// in the request's item, and the item must stay under DynamoDB's 400 KB
	// (see MaxVotes); 20 distinct approvers is also far beyond any quorum a
	// deployment gate needs, while it still leaves room for the votes that
	// do not count.
	MaxMinApprovals = 20
	// MaxVotes is the most votes a request records without a decision. A
	// vote holds at most a comment of MaxCommentRunes runes (4,000 bytes of
	// UTF-8), a name of MaxNameRunes runes and its ids: under 6 KB. Fixed
	// parts (token 2 KB, title, text 8 KB, context 4 KB, outcome) stay under
	// 40 KB, so MaxVotes+1 votes (the deciding vote is always accepted) stay
	// far under 400 KB. Without the cap, anyone holding a link could type
	// new names until the item reached 400 KB, after which every write to
	// it fails and the request can no longer be decided.
	MaxVotes = 50
	// MaxPolicyChars is IAM's limit on the inline policies of one role (the
	// aggregate size, white space not counted).
	MaxPolicyChars = 10240
)

// ErrTooManyVotes refuses a vote that neither decides nor fits: the request
// already holds MaxVotes votes. A rejection, or the approval that completes
// the quorum, is still accepted.
var ErrTooManyVotes = fmt.Errorf("this request already holds the most votes it can record without a decision (%d): "+
	"only a rejection or the approval that completes the quorum is accepted now", MaxVotes)
