package syncer

import (
	"slices"

	"github.com/hubsync/hubsync/internal/store"
)

// The values an object sync's settings may take, for forms that offer
// them: exactly what checkObjectSync accepts.

// Directions are a sync's, or a field's, directions.
func Directions() []string {
	return []string{store.DirectionTwoWay, store.DirectionToHub, store.DirectionToApp}
}

// ConflictRules are the rules that settle a field both sides changed.
func ConflictRules() []string { return []string{RuleMostRecent, RuleHubWins, RuleAppWins} }

// FieldTypes are the types a mapping converts between.
func FieldTypes() []string {
	return []string{TypeText, TypeNumber, TypeDate, TypeDateTime, TypeBoolean, TypeEnumeration}
}

// FilterOperators are the comparisons a filter may make.
func FilterOperators() []string { return slices.Clone(operators) }
