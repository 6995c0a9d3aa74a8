package main

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// plan returns the planned state of a resource of block b from the
// proposed new state: every computed attribute the configuration leaves
// null becomes unknown ("known after apply"), as a real provider would
// plan a create; everything else is what the configuration says.
func plan(b *block, proposed tftypes.Value) (tftypes.Value, error) {
	if proposed.IsNull() || !proposed.IsKnown() {
		return proposed, nil
	}
	var fields map[string]tftypes.Value
	if err := proposed.As(&fields); err != nil {
		return tftypes.Value{}, err
	}
	for name, a := range b.Attributes {
		v, ok := fields[name]
		if !ok {
			continue
		}
		switch {
		case a.Computed && v.IsNull():
			fields[name] = tftypes.NewValue(v.Type(), tftypes.UnknownValue)
		case a.NestedType != nil && !v.IsNull() && v.IsKnown():
			inner := &block{Attributes: a.NestedType.Attributes}
			pv, err := planNested(inner, a.NestedType.NestingMode, v)
			if err != nil {
				return tftypes.Value{}, fmt.Errorf("%s: %w", name, err)
			}
			fields[name] = pv
		}
	}
	for name, bt := range b.BlockTypes {
		v, ok := fields[name]
		if !ok || v.IsNull() || !v.IsKnown() {
			continue
		}
		pv, err := planNested(bt.Block, bt.NestingMode, v)
		if err != nil {
			return tftypes.Value{}, fmt.Errorf("%s: %w", name, err)
		}
		fields[name] = pv
	}
	return tftypes.NewValue(proposed.Type(), fields), nil
}

// planNested plans every object of a nested block or attribute.
func planNested(b *block, mode string, v tftypes.Value) (tftypes.Value, error) {
	switch mode {
	case "single", "group":
		return plan(b, v)
	case "list", "set":
		var elems []tftypes.Value
		if err := v.As(&elems); err != nil {
			return tftypes.Value{}, err
		}
		for i, e := range elems {
			pe, err := plan(b, e)
			if err != nil {
				return tftypes.Value{}, err
			}
			elems[i] = pe
		}
		return tftypes.NewValue(v.Type(), elems), nil
	case "map":
		var elems map[string]tftypes.Value
		if err := v.As(&elems); err != nil {
			return tftypes.Value{}, err
		}
		for k, e := range elems {
			pe, err := plan(b, e)
			if err != nil {
				return tftypes.Value{}, err
			}
			elems[k] = pe
		}
		return tftypes.NewValue(v.Type(), elems), nil
	}
	return tftypes.Value{}, fmt.Errorf("unknown nesting mode %q", mode)
}
