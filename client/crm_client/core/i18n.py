"""Translations for the client: ``_()`` for our strings, Qt's own catalogue for its widgets.

Source strings are English; the Chinese lives in ``crm_common/locale/zh_CN.json``, shared
with the server. The language is chosen once at start-up (``set_language``) — a change in the
settings applies after a restart, which keeps every widget free of retranslation code.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from crm_common.i18n import N_, normalise_language, translate

__all__ = ["N_", "_", "current_language", "resolve_language", "set_language"]

SYSTEM = "system"
_state = {"language": "zh_CN"}
_translators: list[QTranslator] = []


def _(text: str) -> str:
    """``text`` in the current UI language (the English source when untranslated)."""
    return translate(text, _state["language"])


def current_language() -> str:
    """``zh_CN`` or ``en``."""
    return _state["language"]


def resolve_language(choice: str | None) -> str:
    """The catalogue for a settings value: ``system`` follows the operating system's locale
    (anything that is not English gets Chinese, the product's first language)."""
    if not choice or choice == SYSTEM:
        return normalise_language(QLocale.system().name())
    return normalise_language(choice)


def set_language(lang: str) -> None:
    """Use ``lang`` (``system``, ``zh_CN`` or ``en``) for our strings, Qt's standard dialogs
    and number/date formatting."""
    language = resolve_language(lang)
    _state["language"] = language
    locale = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    if language == "zh_CN":
        locale = QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    QLocale.setDefault(locale)
    _install_qt_translations(language)


def _install_qt_translations(language: str) -> None:
    app = QCoreApplication.instance()
    if app is None:
        return
    while _translators:
        QCoreApplication.removeTranslator(_translators.pop())
    if language == "en":
        return
    directory = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if translator.load(f"qtbase_{language}", directory):
        QCoreApplication.installTranslator(translator)
        _translators.append(translator)
