"""Where a helper that a loop calls is defined: the analysed document, or another
module of the workspace.

The helper fixes (``helper_prefetch``: a read per call; ``helper_commit``: a
commit per call) edit two places: the helper gains a keyword argument with a
default, and its caller passes what it prepared before the loop.  When the
helper is another module's, its edits are that file's
(:class:`~lime_task_lint.edits.FileEdits`), computed on its exact current text
and applied only while the file still has it.

Preconditions for editing another file, stated once here (the rules' Fix safety
refers to them):

* the analysis has a workspace, and the file lies inside its root, outside
  every environment, build or hidden folder, and is not excluded (``exclude``)
  or ignored by git (installed, vendored and generated code is read, never
  edited);
* the file's text is the editor's unsaved text when the file is open, else its
  bytes on disk decoded as UTF-8 with their line endings (the text the edits
  will meet), and it parses;
* the helper is found in that text's own model under the qualified name the
  caller's model resolved the call to, and the fixes ask every question about
  it (bindings, uses of the read's result, effects) of a rule context on that
  text: the same analysis as if the file were the one being checked.

For a helper anywhere (this module or another), :func:`plain_helper` and
:func:`passed_application` state what both fixes require: the ``def`` is the
one Python calls (directly in the module body, undecorated, its name bound
nothing else), the keyword it gains is a name its code never mentions, and the
pre-fetch or the batch's unit of work uses the application the call passes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from . import dependencies
from .edits import Edit, FileEdits, apply_edits, minimal_edit, parses, text_digest
from .files import current_text, excluded_with_parents, git_ignored
from .framework import RuleContext
from .model import FunctionInfo
from .modules import _SKIPPED_FOLDERS
from .roundtrips import _NoFix


@dataclass
class DefiningModule:
    """The module defining a helper: a rule context on its text and the helper's facts there.

    ``path`` is None when it is the analysed document (``ctx`` is then the
    caller's own context); ``digest`` is :func:`text_digest` of the text the
    helper's edits are computed on."""

    ctx: RuleContext
    helper: FunctionInfo
    path: str | None = None
    digest: str | None = None
    #: The helper's edits (offsets into ``ctx.document.text``).
    edits: list[Edit] = field(default_factory=list)

    @property
    def elsewhere(self) -> bool:
        return self.path is not None

    def split(self, caller_edits: list[Edit]) -> tuple[tuple[Edit, ...], tuple[FileEdits, ...]]:
        """``(edits of the analysed document, edits of other files)`` for a fix.
        Raises ``_NoFix`` when the other file's result would not parse."""
        if self.path is None:
            return (*caller_edits, *self.edits), ()
        text = self.ctx.document.text
        edits = tuple(minimal_edit(text, e) for e in self.edits)
        if not parses(apply_edits(text, edits)):  # the caller's file is checked by ``checker``
            raise _NoFix(f"the helper's edits would not parse in {Path(self.path).name}")
        return tuple(caller_edits), (FileEdits(self.path, self.digest or "", edits),)


def defining_module(ctx: RuleContext, info: FunctionInfo, call: ast.Call, *,
                    helper_path: str | None = None, helper_name: str | None = None) -> DefiningModule:
    """The module defining the helper ``call`` (a call in ``info``) calls.

    ``helper_path``/``helper_name``: where a workspace question (not the model)
    resolved the call.  Raises ``_NoFix`` with the reason when the helper cannot
    be edited (see the module's preconditions)."""
    path, qualname = helper_path, helper_name
    for helper_call in info.calls:
        if helper_call.node is call:
            if helper_call.path is None:
                helper = ctx.model.callee(helper_call)
                if helper is None:
                    raise _NoFix("the helper is not known")
                return DefiningModule(ctx, helper)
            path, qualname = helper_call.path, helper_call.callee.split("::", 1)[-1]
            break
    if path is None or qualname is None:
        raise _NoFix("the helper is not known")
    other = _module_context(ctx, path)
    helper = other.model.functions.get(qualname)
    if helper is None:
        raise _NoFix(f"`{qualname}` was not found in {Path(path).name} as it is now")
    return DefiningModule(other, helper, other.document.path, text_digest(other.document.text))


def _module_context(ctx: RuleContext, path: str) -> RuleContext:
    """A rule context on ``path``'s current text, built once per analysis (every
    helper call of the document that reaches that module shares it); raises
    ``_NoFix`` when the file may not be edited."""
    known = ctx.__dict__.setdefault("_defining_modules", {})
    if path not in known:
        try:
            known[path] = _new_module_context(ctx, path)
        except _NoFix as reason:
            known[path] = reason
    found = known[path]
    if isinstance(found, _NoFix):
        raise found
    return found


def _new_module_context(ctx: RuleContext, path: str) -> RuleContext:
    from .document import SourceDocument

    workspace = ctx.workspace
    root = getattr(workspace, "root", None)
    if root is None:
        raise _NoFix("the helper is in another module and no workspace is open to edit it in")
    resolved = Path(path).resolve()
    try:
        parts = resolved.relative_to(Path(root).resolve()).parts
    except ValueError:
        raise _NoFix(f"the helper is in {path}, outside the workspace (installed code is not edited)") from None
    if any(part in _SKIPPED_FOLDERS or part.startswith(".") for part in parts[:-1]):
        raise _NoFix(f"the helper is in {path}, in an environment, build or hidden folder (not edited)")
    key = str(resolved)
    if excluded_with_parents(resolved, ctx.settings):
        raise _NoFix(f"the helper is in {path}, which the project excludes (not edited)")
    if ctx.settings.respect_gitignore:
        ignored = git_ignored(resolved)
        dependencies.note_answer(("git ignored", key), ignored)  # the result cache asks again
        if ignored:
            raise _NoFix(f"the helper is in {path}, which git ignores (not edited)")
    if callable(getattr(workspace, "text_of", None)):
        workspace.text_of(key)  # notes the read for the result cache (``dependencies``)
    elif dependencies.active():
        dependencies.note_file(key, dependencies.file_digest(key))
    text = current_text(key, workspace)
    # The edits and their digest are the exact text's (line endings kept); the read
    # noted above is of the text with newlines made uniform: the cache asks this too.
    dependencies.note_answer(("exact text", key), text_digest(text) if text is not None else None)
    if text is None:
        raise _NoFix(f"{path} cannot be read as UTF-8")
    document = SourceDocument(text, key)
    if not document.parses:
        raise _NoFix(f"{path} does not parse")
    return RuleContext(document, ctx.settings, workspace)


def plain_helper(module: DefiningModule) -> None:
    """Raise ``_NoFix`` unless the helper is a plain function the call surely
    reaches as written: a ``def`` directly in its module's body (not a method, not
    nested, not the fallback of an ``import`` under ``try``), with no decorator,
    positional parameters only, and its name bound by nothing else in the module
    (a second ``def``, ``name = wrapper(name)``, an import, a ``global`` in some
    function): the fix edits this ``def``, so it must be the one Python calls."""
    helper, tree = module.helper.node, module.ctx.tree
    if not isinstance(helper, ast.FunctionDef) or not any(s is helper for s in tree.body):
        raise _NoFix("the helper is not a plain function of its module (a method, nested, or defined under "
                     "`if`/`try`)")
    if helper.decorator_list:
        raise _NoFix("the helper is decorated (a decorator may change how it is called)")
    arguments = helper.args
    if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.posonlyargs:
        raise _NoFix("the helper takes `*args`, `**kwargs` or keyword-only parameters")
    name = helper.name
    index = module.ctx.index  # its scopes' declarations: one walk per module, not one per helper call
    if len(index.bindings_in(tree, name)) != 1 or any(
            name in scope.declared_global or name in scope.declared_nonlocal for scope in index.scopes):
        raise _NoFix(f"`{name}` is bound more than once in its module (a second definition, a wrapper, an "
                     "import): the fix could edit a function that is not the one called")


def names_used(function: ast.AST) -> set[str]:
    """Every name a function's code mentions (parameters, locals, globals, builtins):
    a keyword the fix adds must be none of them, or it would shadow one."""
    return {n.id for n in ast.walk(function) if isinstance(n, ast.Name)} | \
        {a.arg for a in ast.walk(function) if isinstance(a, ast.arg)}


def passed_application(ctx: RuleContext, info: FunctionInfo, call: ast.Call, loop, module: DefiningModule,
                       receiver: ast.AST) -> str:
    """The caller's name for the application (or limetypes) the helper reaches
    ``receiver`` through (``app`` in ``app.limetypes.person.get_all``,
    ``app.unit_of_work()``), as ``<name>.limetypes`` (or ``<name>``) text: the
    pre-fetch or the batch's unit of work must use the one the helper is given.

    Raises ``_NoFix`` unless that root is a parameter the helper never rebinds,
    and the call passes it as a plain name that holds the application before the
    loop and that the loop does not rebind."""
    root = receiver
    while isinstance(root, (ast.Attribute, ast.Call)):
        root = root.value if isinstance(root, ast.Attribute) else root.func
    helper = module.helper
    parameters = [a.arg for a in helper.node.args.args]  # type: ignore[attr-defined]
    if not isinstance(root, ast.Name) or root.id not in parameters \
            or len(module.ctx.index.bindings_in(helper.node, root.id)) != 1:
        raise _NoFix("the helper does not reach Lime through an application it is passed")
    role = helper.names.get(root.id)
    if role is None or role.kind not in ("app", "limetypes"):
        raise _NoFix(f"the helper's `{root.id}` is not known to be the application")
    argument = next((k.value for k in call.keywords if k.arg == root.id), None)
    position = parameters.index(root.id)
    if argument is None and position < len(call.args):
        argument = call.args[position]
    if not isinstance(argument, ast.Name):
        raise _NoFix(f"the call does not pass the helper's `{root.id}` as a plain name")
    name = argument.id
    passed = info.names.get(name)
    if passed is None or passed.kind != role.kind:
        raise _NoFix(f"`{name}`, passed as the helper's `{root.id}`, is not known to be the application")
    if name in ctx.effects.of_block(loop.node.body).rebinds:
        raise _NoFix(f"the loop rebinds `{name}`, the application it passes")
    parameters_here = [a.arg for a in (*info.node.args.posonlyargs, *info.node.args.args,  # type: ignore[attr-defined]
                                       *info.node.args.kwonlyargs)]
    bindings = ctx.index.bindings_in(info.node, name)
    if name not in parameters_here and not (bindings and all(b.lineno < loop.node.lineno for b in bindings)):
        raise _NoFix(f"`{name}` is not bound before the loop")
    return f"{name}.limetypes" if role.kind == "app" else name
