"""Validate JUnit XML against junit.xsd beside this file.

With `xmlschema` or `lxml` installed, a real validator does it. Without them
(neither is a chaoskit dependency yet), the small subset of XML Schema that
junit.xsd uses is interpreted here with ElementTree: global elements referred
to by `ref`, one `sequence` each with minOccurs/maxOccurs, attributes with
`use`, `mixed` content and `xs:string` leaves.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

XSD = Path(__file__).parent / "junit.xsd"
_XS = "{http://www.w3.org/2001/XMLSchema}"


def validator_name() -> str:
    for name in ("xmlschema", "lxml"):
        if importlib.util.find_spec(name) is not None:
            return name
    return "elementtree-subset"


def validate(xml: str) -> list[str]:
    """Every way `xml` breaks junit.xsd; empty when valid."""
    which = validator_name()
    if which == "xmlschema":
        import xmlschema

        return [str(e) for e in xmlschema.XMLSchema(str(XSD)).iter_errors(xml)]
    if which == "lxml":
        from lxml import etree

        schema = etree.XMLSchema(etree.parse(str(XSD)))
        ok = schema.validate(etree.fromstring(xml.encode("utf-8")))
        return [] if ok else [str(e) for e in schema.error_log]
    return Subset(XSD).validate(ET.fromstring(xml))


@dataclass
class _Particle:
    ref: str
    min: int
    max: float


@dataclass
class _Decl:
    text: bool  # mixed content or a simple xs:string element
    sequence: list[_Particle] = field(default_factory=list)
    attributes: dict[str, bool] = field(default_factory=dict)  # name -> required


class Subset:
    def __init__(self, xsd: Path) -> None:
        self.decls: dict[str, _Decl] = {}
        for element in ET.parse(xsd).getroot().findall(f"{_XS}element"):
            ctype = element.find(f"{_XS}complexType")
            if ctype is None:
                if element.get("type") != "xs:string":
                    raise ValueError(f"unsupported element declaration {element.attrib}")
                self.decls[element.attrib["name"]] = _Decl(text=True)
                continue
            decl = _Decl(text=ctype.get("mixed") == "true")
            for particle in ctype.findall(f"{_XS}sequence/{_XS}element"):
                raw_max = particle.get("maxOccurs", "1")
                decl.sequence.append(
                    _Particle(
                        particle.attrib["ref"],
                        int(particle.get("minOccurs", "1")),
                        float("inf") if raw_max == "unbounded" else int(raw_max),
                    )
                )
            for attr in ctype.findall(f"{_XS}attribute"):
                decl.attributes[attr.attrib["name"]] = attr.get("use") == "required"
            self.decls[element.attrib["name"]] = decl

    def validate(self, node: ET.Element) -> list[str]:
        if node.tag not in self.decls:
            return [f"<{node.tag}> is not a declared element"]
        return self._element(node, f"/{node.tag}")

    def _element(self, node: ET.Element, path: str) -> list[str]:
        decl = self.decls[node.tag]
        errors = []
        for name, required in decl.attributes.items():
            if required and name not in node.attrib:
                errors.append(f"{path}: missing required attribute {name!r}")
        errors += [
            f"{path}: attribute {name!r} not allowed" for name in node.attrib if name not in decl.attributes
        ]
        if not decl.text and (node.text or "").strip():
            errors.append(f"{path}: text not allowed")
        children = list(node)
        if decl.text and not decl.sequence and children:
            errors.append(f"{path}: child elements not allowed")
        i = 0
        for particle in decl.sequence:
            n = 0
            while i < len(children) and children[i].tag == particle.ref and n < particle.max:
                errors += self._element(children[i], f"{path}/{children[i].tag}[{n}]")
                i += 1
                n += 1
            if n < particle.min:
                errors.append(f"{path}: expected at least {particle.min} <{particle.ref}>")
        errors += [f"{path}: unexpected <{c.tag}> here" for c in children[i:]]
        return errors
