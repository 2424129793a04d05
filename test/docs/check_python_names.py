"""Checks a Python program against the jsii-generated Python package of cdk8s-mesh.

usage: check_python_names.py <generated cdk8s_mesh/__init__.py> <program.py>
prints JSON: {"classes": [...public names of the package...], "problems": [...]}

Python cannot run the program here (no jsii runtime for Python), so this reads
both files with `ast`: every name imported from `cdk8s_mesh` must exist, every
attribute and method used on a cdk8s_mesh class or on a variable holding one
of its instances must exist, and every keyword argument must be a parameter
of the called constructor or method.
"""
import ast
import json
import re
import sys

MODULE = "cdk8s_mesh"

# Members of the external base classes the generated classes extend (constructs, cdk8s).
# Bases not listed here stop the check (their members are accepted).
KNOWN_EXTERNAL_MEMBERS = {
    "_constructs_77d1e7e8.Construct": {"node", "to_string", "with_", "is_construct"},
    "_constructs_77d1e7e8.IConstruct": {"node", "with_"},
}


class ClassInfo:
    def __init__(self, node):
        self.name = node.name
        self.bases = [ast.unparse(b) for b in node.bases]
        self.members = {}  # name -> (params | None for non-callables, varargs?, return class)
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                decorators = [ast.unparse(d) for d in item.decorator_list]
                is_property = any(d == "builtins.property" or d == "property" or d.endswith(".setter") for d in decorators)
                if any(d.endswith(".setter") for d in decorators):
                    continue
                ret = annotation_class(item.returns)
                if is_property:
                    self.members[item.name] = {"callable": False, "type": ret}
                else:
                    a = item.args
                    params = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg not in ("self", "cls")]
                    positional = [p.arg for p in a.posonlyargs + a.args if p.arg not in ("self", "cls")]
                    self.members[item.name] = {
                        "callable": True, "params": params, "positional": len(positional),
                        "varargs": a.vararg is not None, "kwargs": a.kwarg is not None, "type": ret,
                    }
            elif isinstance(item, ast.Assign):  # enum members
                for t in item.targets:
                    if isinstance(t, ast.Name):
                        self.members[t.id] = {"callable": False, "type": node.name}


def annotation_class(node):
    if node is None:
        return None
    m = re.fullmatch(r"(?:typing\.Optional\[)?'([A-Za-z0-9_]+)'\]?", ast.unparse(node))
    return m.group(1) if m else None


def load_package(path):
    tree = ast.parse(open(path).read())
    classes = {n.name: ClassInfo(n) for n in tree.body if isinstance(n, ast.ClassDef)}
    exported = []
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            exported = [e.value for e in n.value.elts]
    return classes, exported


class Checker(ast.NodeVisitor):
    def __init__(self, classes, exported):
        self.classes = classes
        self.exported = set(exported)
        self.imported = {}  # local name -> class name
        self.module_aliases = set()
        self.vars = {}  # variable -> instance class name
        self.problems = []

    def report(self, node, msg):
        problem = f"line {node.lineno}: {msg}"
        if problem not in self.problems:  # nested visits may see a node twice
            self.problems.append(problem)

    def lookup(self, cls, member):
        """(member info, complete?) through the class and its in-package bases."""
        seen = set()
        stack = [cls]
        complete = True
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            if c in KNOWN_EXTERNAL_MEMBERS:
                if member in KNOWN_EXTERNAL_MEMBERS[c]:
                    return {"callable": member not in ("node",), "params": [], "positional": 0,
                            "varargs": True, "kwargs": True, "type": None}, True
                continue
            info = self.classes.get(c)
            if info is None:
                complete = False  # an external base (cdk8s App): cannot check further
                continue
            if member in info.members:
                return info.members[member], True
            for b in info.bases:
                b = b.strip("'\"")
                if b in self.classes or b in KNOWN_EXTERNAL_MEMBERS:
                    stack.append(b)
                elif b not in ("object",) and not b.startswith("jsii.") and not b.startswith("enum."):
                    complete = False
        return None, complete

    # Type inference: ("class", name) for a class reference, ("instance", name) for a value
    def type_of(self, node):
        if isinstance(node, ast.Name):
            if node.id in self.imported:
                return ("class", self.imported[node.id])
            if node.id in self.vars:
                return ("instance", self.vars[node.id])
            return None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in self.module_aliases:
                if node.attr not in self.exported:
                    self.report(node, f"{MODULE}.{node.attr} does not exist in the generated package")
                    return None
                return ("class", node.attr)
            owner = self.type_of(node.value)
            if owner is None:
                return None
            member, complete = self.lookup(owner[1], node.attr)
            if member is None:
                if complete:
                    self.report(node, f"{owner[1]} has no member '{node.attr}'")
                return None
            if member["callable"]:
                return ("method", owner[1], node.attr)
            return ("instance", member["type"]) if member["type"] else None
        if isinstance(node, ast.Call):
            t = self.type_of(node.func)
            if t is None:
                return None
            if t[0] == "class":
                member, _ = self.lookup(t[1], "__init__")
                self.check_call(node, f"{t[1]}()", member)
                return ("instance", t[1])
            if t[0] == "method":
                member, _ = self.lookup(t[1], t[2])
                self.check_call(node, f"{t[1]}.{t[2]}()", member)
                return ("instance", member["type"]) if member["type"] else None
        return None

    def check_call(self, node, what, member):
        for value in node.args + [kw.value for kw in node.keywords]:
            self.visit(value)  # nested constructions: MeshServiceVersion(...) in a list
        if member is None or not member.get("callable"):
            return
        if not member["kwargs"]:
            for kw in node.keywords:
                if kw.arg is not None and kw.arg not in member["params"]:
                    self.report(node, f"{what} has no parameter '{kw.arg}' (it has: {', '.join(member['params'])})")
        if not member["varargs"] and len(node.args) > member["positional"]:
            self.report(node, f"{what} takes {member['positional']} positional argument(s), got {len(node.args)}")

    def visit_ImportFrom(self, node):
        if node.module == MODULE:
            for alias in node.names:
                if alias.name not in self.exported:
                    self.report(node, f"'{alias.name}' is not exported by {MODULE}")
                else:
                    self.imported[alias.asname or alias.name] = alias.name

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name == MODULE:
                self.module_aliases.add(alias.asname or alias.name)

    def visit_Assign(self, node):
        t = self.type_of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if t and t[0] == "instance" and t[1]:
                    self.vars[target.id] = t[1]
                else:
                    self.vars.pop(target.id, None)
        if t is None:
            self.generic_visit(node.value)

    def visit_For(self, node):
        if isinstance(node.target, ast.Name) and isinstance(node.iter, (ast.Tuple, ast.List)):
            types = {self.type_of(e) for e in node.iter.elts}
            if len(types) == 1:
                t = types.pop()
                if t and t[0] == "instance":
                    self.vars[node.target.id] = t[1]
        for stmt in node.body:
            self.visit(stmt)

    def visit_Expr(self, node):
        if self.type_of(node.value) is None:
            self.generic_visit(node)

    def visit_Call(self, node):
        if self.type_of(node) is None:
            self.generic_visit(node)

    def visit_Attribute(self, node):
        if self.type_of(node) is None:
            self.generic_visit(node)


def main():
    classes, exported = load_package(sys.argv[1])
    program = ast.parse(open(sys.argv[2]).read(), sys.argv[2])
    checker = Checker(classes, exported)
    checker.visit(program)
    print(json.dumps({"classes": sorted(exported), "problems": checker.problems}))


if __name__ == "__main__":
    main()
