package kratix

import (
	"reflect"
	"testing"
)

func TestMatchingDestinations(t *testing.T) {
	destinations := []DestinationLabels{
		{Name: "dev-1", Labels: map[string]string{"env": "dev", "zone": "a"}},
		{Name: "dev-strict", Labels: map[string]string{"env": "dev"}, Strict: true},
		{Name: "prod", Labels: map[string]string{"env": "prod"}},
		{Name: "bare-strict", Strict: true},
	}
	for _, tt := range []struct {
		name      string
		selectors map[string]string
		want      []string
	}{
		{"every label must be on the Destination", map[string]string{"env": "dev", "zone": "a"}, []string{"dev-1"}},
		{"strict Destinations take work that selects them", map[string]string{"env": "dev"}, []string{"dev-1", "dev-strict"}},
		{"no selectors: all but strict ones with labels", nil, []string{"bare-strict", "dev-1", "prod"}},
		{"nothing matches", map[string]string{"env": "staging"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchingDestinations(tt.selectors, destinations); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSquashSelectorsFirstWins(t *testing.T) {
	got := SquashSelectors([]map[string]string{{"env": "dev"}, {"env": "prod", "zone": "a"}})
	if want := map[string]string{"env": "dev", "zone": "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
