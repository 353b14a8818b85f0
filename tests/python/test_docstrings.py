"""help() is useful: every public name of the package, and every public method and property of its classes,
has a docstring."""
import inspect

import shmstream


def public_names():
    names = getattr(shmstream, "__all__", None) or [n for n in dir(shmstream) if not n.startswith("_")]
    for name in names:
        obj = getattr(shmstream, name)
        if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
            continue  # constants carry no docstring of their own
        yield name, obj
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if callable(value) or isinstance(value, property) or type(value).__name__ == "property":
                    yield f"{name}.{member}", value


def test_every_public_name_has_a_docstring():
    missing = []
    for qualified, obj in public_names():
        doc = obj.__doc__ or ""
        inherited = inspect.isclass(obj) and doc == (obj.__mro__[1].__doc__ if len(obj.__mro__) > 1 else None)
        if not doc.strip() or inherited:
            missing.append(qualified)
    assert missing == [], f"no docstring: {missing}"
