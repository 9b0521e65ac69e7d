package platform

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
)

// patchTerraformSource makes a copy of the Terraform module buildable.
// Terraform's go.mod replaces some of its own packages (the remote state
// backends such as s3 and gcs, and internal/legacy) with nested modules in
// its repository, which the module download does not contain. Those
// modules are dropped from go.mod, and the files that import them lose the
// imports and the map entries that use them (internal/backend/init
// registers each backend in a map literal). The resulting CLI lacks only
// those state backends, which the acceptance tests never configure.
func patchTerraformSource(src string) error {
	dropped, err := dropMissingLocalModules(filepath.Join(src, "go.mod"))
	if err != nil {
		return err
	}
	if len(dropped) == 0 {
		return nil
	}
	return filepath.WalkDir(src, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" || d.Name() == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		// Test files are not built, so their imports do not matter.
		if !strings.HasSuffix(file, ".go") || strings.HasSuffix(file, "_test.go") {
			return nil
		}
		return dropImports(file, dropped)
	})
}

// dropMissingLocalModules removes from go.mod every module that a replace
// directive points at a local directory that does not exist, and returns
// their paths. Replacements whose directory exists are kept.
func dropMissingLocalModules(goMod string) ([]string, error) {
	data, err := os.ReadFile(goMod)
	if err != nil {
		return nil, err
	}
	mf, err := modfile.Parse(goMod, data, nil)
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, r := range mf.Replace {
		if !modfile.IsDirectoryPath(r.New.Path) {
			continue
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(goMod), r.New.Path)); err == nil {
			continue
		}
		dropped = append(dropped, r.Old.Path)
	}
	for _, mod := range dropped {
		if err := mf.DropReplace(mod, ""); err != nil {
			return nil, err
		}
		if err := mf.DropRequire(mod); err != nil {
			return nil, err
		}
	}
	mf.Cleanup()
	out, err := mf.Format()
	if err != nil {
		return nil, err
	}
	sort.Strings(dropped)
	return dropped, os.WriteFile(goMod, out, 0o644)
}

// dropImports removes from a Go file the imports of the dropped modules'
// packages and the composite literal elements (map entries) that use them.
// Any other use is an error: the patch would need extending.
func dropImports(file string, dropped []string) error {
	fset := token.NewFileSet()
	header, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
	if err != nil {
		return err
	}
	if len(droppedImportNames(header, dropped)) == 0 {
		return nil
	}
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments)
	if err != nil {
		return err
	}
	names := droppedImportNames(f, dropped)
	comments := ast.NewCommentMap(fset, f, f.Comments)
	removeImports(f, names)
	removeElementsUsing(f, names)
	if pkg := firstUse(f, names); pkg != "" {
		return fmt.Errorf("%s uses package %s of a dropped module outside a map entry; extend patchTerraformSource", file, pkg)
	}
	f.Comments = comments.Filter(f).Comments()
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}

// droppedImportNames maps the local names of imports from the dropped
// modules to their paths.
func droppedImportNames(f *ast.File, dropped []string) map[string]string {
	names := map[string]string{}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || !inModules(p, dropped) {
			continue
		}
		// Unnamed imports are assumed to use their last path element as
		// package name, as Terraform's packages do.
		name := path.Base(p)
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = p
	}
	return names
}

func inModules(importPath string, modules []string) bool {
	for _, mod := range modules {
		if importPath == mod || strings.HasPrefix(importPath, mod+"/") {
			return true
		}
	}
	return false
}

func removeImports(f *ast.File, names map[string]string) {
	drop := func(spec ast.Spec) bool {
		imp, ok := spec.(*ast.ImportSpec)
		if !ok {
			return false
		}
		p, _ := strconv.Unquote(imp.Path.Value)
		for _, dropped := range names {
			if p == dropped {
				return true
			}
		}
		return false
	}
	for _, decl := range f.Decls {
		if gen, ok := decl.(*ast.GenDecl); ok && gen.Tok == token.IMPORT {
			gen.Specs = filter(gen.Specs, drop)
		}
	}
	f.Imports = filter(f.Imports, func(imp *ast.ImportSpec) bool { return drop(imp) })
}

func removeElementsUsing(f *ast.File, names map[string]string) {
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.CompositeLit); ok {
			lit.Elts = filter(lit.Elts, func(e ast.Expr) bool { return firstUse(e, names) != "" })
		}
		return true
	})
}

// firstUse returns the path of a dropped package that node refers to, or "".
func firstUse(node ast.Node, names map[string]string) string {
	var found string
	ast.Inspect(node, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok && found == "" {
			if id, ok := sel.X.(*ast.Ident); ok {
				found = names[id.Name]
			}
		}
		return found == ""
	})
	return found
}

func filter[T any](items []T, drop func(T) bool) []T {
	kept := items[:0]
	for _, item := range items {
		if !drop(item) {
			kept = append(kept, item)
		}
	}
	return kept
}
