package store

// Query is a record search that the crm package has already validated and
// typed: every field says how its values compare, and every value is in the
// form that comparison needs.
type Query struct {
	ObjectType string
	Archived   bool
	Groups     [][]Cond // ORed groups of ANDed conditions; none matches everything
	Text       string   // free text, matched as a substring of any TextFields
	TextFields []Field
	Sorts      []Sort // the record id always breaks ties
	Offset     int
	Limit      int
	// ByValue says every group names records by a value a lookup index
	// holds (EQ or IN on an indexed property, or on the id): the matches
	// are few, so reading them by that index and sorting them beats walking
	// the records in sort order looking for them.
	ByValue bool
	// CountUpTo bounds the total a search reports: when more records match,
	// the total is CountUpTo. Counting every match costs a read of every
	// match, on every page; 0 counts them all.
	CountUpTo int
}

// Kind says where a field lives and how its values compare.
type Kind int

const (
	KindText    Kind = iota // stored property, compared without case
	KindNumber              // stored property holding a decimal number
	KindOrdered             // stored property whose bytes sort correctly (ISO dates, booleans)
	KindID                  // the record id; values are decimal integers
	KindCreated             // creation time; values are unix milliseconds
	KindUpdated             // last modification time; values are unix milliseconds
)

// Field names a property and how to compare it.
type Field struct {
	Name string
	Kind Kind
}

// Op is a comparison operator, spelled as HubSpot's search API spells it.
type Op string

const (
	OpEQ               Op = "EQ"
	OpNEQ              Op = "NEQ"
	OpLT               Op = "LT"
	OpLTE              Op = "LTE"
	OpGT               Op = "GT"
	OpGTE              Op = "GTE"
	OpBetween          Op = "BETWEEN"
	OpIn               Op = "IN"
	OpNotIn            Op = "NOT_IN"
	OpHasProperty      Op = "HAS_PROPERTY"
	OpNotHasProperty   Op = "NOT_HAS_PROPERTY"
	OpContainsToken    Op = "CONTAINS_TOKEN"
	OpNotContainsToken Op = "NOT_CONTAINS_TOKEN"
)

// Cond is one condition. BETWEEN has two values (low, high), IN and NOT_IN
// one or more, the property tests none, every other operator one.
type Cond struct {
	Field  Field
	Op     Op
	Values []string
}

// Sort orders results by a field; records without a value come last.
type Sort struct {
	Field Field
	Desc  bool
}
