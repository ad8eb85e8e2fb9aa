; The CRM client's Windows installer (NSIS 3, 64-bit, Unicode). Built by
; installer/windows/package.sh:  makensis -DVERSION=0.1.0 -DBUNDLE=dist\windows\crm-client
;   -DICON=build\icon\crm.ico -DOUTFILE=… [-DSIGN_COMMAND=…] installer/windows/crm-client.nsi
;
; Per-machine into "Program Files\CRM Client", Start-menu and desktop shortcuts, Simplified
; Chinese and English (the system's language picks). Running it over an installed copy
; upgrades it in place. For IT (see installer/README.md):
;
;   crm-client-setup-X.exe /S [/SERVER=https://crm.corp.local:8443] [/CAFINGERPRINT=AB:CD:…]
;                          [/NODESKTOPSHORTCUT] [/D=C:\Program Files\CRM Client]
;   uninstall.exe /S [/REMOVESETTINGS]
;
; /SERVER and /CAFINGERPRINT are written machine-wide (HKLM\Software\CRM\CRM Client\deployment):
; the client offers that server and trusts a certificate authority with that fingerprint
; without asking its user. Exit codes: 0 done, 1 cancelled, 2 bad option or failure,
; 3 the client is running (close it first).
; The user's own settings (HKCU\Software\CRM\CRM Client) are kept by an uninstall unless
; asked (/REMOVESETTINGS, or the option on the uninstaller's page).

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel admin
SetCompressor /SOLID lzma
SetCompressorDictSize 64

!macro Require name
  !ifndef ${name}
    !error "Define ${name} (see installer/windows/package.sh)"
  !endif
!macroend
!insertmacro Require VERSION
!insertmacro Require BUNDLE
!insertmacro Require ICON
!insertmacro Require OUTFILE
!ifdef SIGN_COMMAND  ; signs the installer and the uninstaller it carries ("%1": the file)
  !finalize '${SIGN_COMMAND}'
  !uninstfinalize '${SIGN_COMMAND}'
!endif

!define PRODUCT "CRM Client"
!define EXE "crm-client.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\CRM Client"
!define SETTINGS_KEY "Software\CRM\CRM Client"  ; QSettings("CRM", "CRM Client")
!define DEPLOYMENT_KEY "${SETTINGS_KEY}\deployment"

!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include StrFunc.nsh
${StrRep}

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${PRODUCT}"
InstallDirRegKey HKLM "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} setup"
VIAddVersionKey /LANG=0 "LegalCopyright" "CRM"

Var Server
Var CaFingerprint
Var ShortcutName

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_NODESC
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

LangString ShortcutNameText ${LANG_SIMPCHINESE} "CRM 客户端"
LangString ShortcutNameText ${LANG_ENGLISH} "CRM Client"
LangString BadFingerprint ${LANG_SIMPCHINESE} "/CAFINGERPRINT 不是 SHA-256 指纹（64 个十六进制数字，可用冒号分隔）：$CaFingerprint"
LangString BadFingerprint ${LANG_ENGLISH} "/CAFINGERPRINT is not a SHA-256 fingerprint (64 hexadecimal digits, colons allowed): $CaFingerprint"
LangString BadServer ${LANG_SIMPCHINESE} "/SERVER 应为 https:// 开头的服务器地址，例如 https://crm.corp.local:8443：$Server"
LangString BadServer ${LANG_ENGLISH} "/SERVER must be a server address starting with https://, e.g. https://crm.corp.local:8443: $Server"
LangString ClientRunning ${LANG_SIMPCHINESE} "CRM 客户端正在运行。请先关闭它，再点“重试”。"
LangString ClientRunning ${LANG_ENGLISH} "The CRM Client is running. Please close it, then click Retry."
LangString RemoveSettings ${LANG_SIMPCHINESE} "同时删除我的设置（服务器、信任的证书、列布局）"
LangString RemoveSettings ${LANG_ENGLISH} "Also remove my settings (servers, trusted certificates, column layouts)"

; --- options --------------------------------------------------------------------------------

; Fails the installation: a message box when someone watches, exit code 2 either way.
!macro Refuse message
  IfSilent +2
    MessageBox MB_ICONSTOP|MB_OK "${message}"
  SetErrorLevel 2
  Quit
!macroend

; $0: 1 when $CaFingerprint is 64 hexadecimal digits once colons and spaces are dropped.
Function CheckFingerprint
  ${StrRep} $1 $CaFingerprint ":" ""
  ${StrRep} $1 $1 " " ""
  StrLen $2 $1
  StrCpy $0 0
  ${If} $2 != 64
    Return
  ${EndIf}
  StrCpy $3 0
  ${Do}
    StrCpy $4 $1 1 $3
    StrCpy $5 "0123456789abcdefABCDEF"
    ${StrRep} $6 $5 $4 ""
    ${If} $6 == $5  ; the digit is not in the set
      Return
    ${EndIf}
    IntOp $3 $3 + 1
  ${LoopUntil} $3 >= 64
  StrCpy $0 1
FunctionEnd

; The value of option $1 (e.g. "/SERVER=") in the command line $0 into $2, and $3 = 1 when
; the option is there. Unlike FileFunc's GetOptions, which ends a value at its next "/",
; the value runs to the next " /" or the end, so an unquoted URL keeps its slashes; quotes
; around it are dropped. Names match in any case.
!macro ReadOptionFunction prefix
Function ${prefix}ReadOption
  StrLen $4 $1
  StrLen $5 $0
  StrCpy $2 ""
  StrCpy $3 0
  StrCpy $6 0
  ${DoWhile} $6 < $5
    StrCpy $7 $0 $4 $6
    StrCpy $8 " "
    ${If} $6 > 0
      IntOp $8 $6 - 1
      StrCpy $8 $0 1 $8
    ${EndIf}
    ${If} $7 == $1
    ${AndIf} $8 == " "
      StrCpy $3 1
      IntOp $6 $6 + $4
      StrCpy $2 $0 "" $6
      ${ExitDo}
    ${EndIf}
    IntOp $6 $6 + 1
  ${Loop}
  StrLen $5 $2
  StrCpy $6 0
  ${DoWhile} $6 < $5
    StrCpy $7 $2 2 $6
    ${If} $7 == " /"
      StrCpy $2 $2 $6
      ${ExitDo}
    ${EndIf}
    IntOp $6 $6 + 1
  ${Loop}
  ${Do}
    StrCpy $7 $2 1 -1
    ${If} $7 != " "
      ${ExitDo}
    ${EndIf}
    StrCpy $2 $2 -1
  ${Loop}
  StrCpy $7 $2 1
  StrCpy $8 $2 1 -1
  ${If} $7 == '"'
  ${AndIf} $8 == '"'
    StrCpy $2 $2 -1 1
  ${EndIf}
FunctionEnd
!macroend
!insertmacro ReadOptionFunction ""
!insertmacro ReadOptionFunction "un."

; A running client keeps its files open: replacing or removing them then would leave a mix of
; two versions. Someone watching is asked to close it; a silent run ends with exit code 3.
!macro ClientClosedFunction prefix
Function ${prefix}ClientClosed
  ${IfNot} ${FileExists} "$INSTDIR\${EXE}"
    Return
  ${EndIf}
  ${Do}
    ClearErrors
    FileOpen $0 "$INSTDIR\${EXE}" a  ; fails while Windows runs the program
    ${IfNot} ${Errors}
      FileClose $0
      Return
    ${EndIf}
    ${If} ${Silent}
      SetErrorLevel 3
      Quit
    ${EndIf}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(ClientRunning)" IDRETRY +3
    SetErrorLevel 1
    Quit
  ${Loop}
FunctionEnd
!macroend
!insertmacro ClientClosedFunction ""
!insertmacro ClientClosedFunction "un."

Function .onInit
  SetRegView 64
  ${GetParameters} $0
  StrCpy $1 "/SERVER="
  Call ReadOption
  StrCpy $Server $2
  ${If} $Server != ""
    StrCpy $1 $Server 8
    ${If} $1 != "https://"
      !insertmacro Refuse "$(BadServer)"
    ${EndIf}
  ${EndIf}
  ${GetParameters} $0
  StrCpy $1 "/CAFINGERPRINT="
  Call ReadOption
  StrCpy $CaFingerprint $2
  ${If} $CaFingerprint != ""
    Call CheckFingerprint
    ${If} $0 != 1
      !insertmacro Refuse "$(BadFingerprint)"
    ${EndIf}
  ${EndIf}
  Call ClientClosed
FunctionEnd

; --- install ----------------------------------------------------------------------------------

Section "-${PRODUCT}"
  SetShellVarContext all
  ; Upgrade in place: the previous version's program files go first (never the settings),
  ; so nothing of it lingers next to the new one.
  ReadRegStr $0 HKLM "${UNINSTALL_KEY}" "InstallLocation"
  ${If} $0 == $INSTDIR
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\${EXE}"
  ${EndIf}
  ReadRegStr $ShortcutName HKLM "${UNINSTALL_KEY}" "ShortcutName"
  ${If} $ShortcutName != ""
    Delete "$SMPROGRAMS\$ShortcutName.lnk"
    Delete "$DESKTOP\$ShortcutName.lnk"
  ${EndIf}

  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  StrCpy $ShortcutName "$(ShortcutNameText)"
  CreateShortcut "$SMPROGRAMS\$ShortcutName.lnk" "$INSTDIR\${EXE}"
  ${GetParameters} $0
  StrCpy $1 "/NODESKTOPSHORTCUT"
  Call ReadOption
  ${If} $3 != 1
    CreateShortcut "$DESKTOP\$ShortcutName.lnk" "$INSTDIR\${EXE}"
  ${EndIf}

  ${If} $Server != ""
    WriteRegStr HKLM "${DEPLOYMENT_KEY}" "server" $Server
  ${EndIf}
  ${If} $CaFingerprint != ""
    WriteRegStr HKLM "${DEPLOYMENT_KEY}" "ca_fingerprint" $CaFingerprint
  ${EndIf}

  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "CRM"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "ShortcutName" "$ShortcutName"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

; --- uninstall --------------------------------------------------------------------------------

Section "-un.${PRODUCT}"
  SetShellVarContext all
  ReadRegStr $ShortcutName HKLM "${UNINSTALL_KEY}" "ShortcutName"
  ${If} $ShortcutName != ""
    Delete "$SMPROGRAMS\$ShortcutName.lnk"
    Delete "$DESKTOP\$ShortcutName.lnk"
  ${EndIf}
  ; Only what the installer put there: a folder chosen by hand may hold other files.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${DEPLOYMENT_KEY}"
  DeleteRegKey /ifempty HKLM "${SETTINGS_KEY}"
  DeleteRegKey /ifempty HKLM "Software\CRM"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
SectionEnd

Section /o "un.$(RemoveSettings)" SecRemoveSettings
  DeleteRegKey HKCU "${SETTINGS_KEY}"
  DeleteRegKey /ifempty HKCU "Software\CRM"
SectionEnd

Function un.onInit
  SetRegView 64
  ${GetParameters} $0
  StrCpy $1 "/REMOVESETTINGS"
  Call un.ReadOption
  ${If} $3 == 1
    SectionSetFlags ${SecRemoveSettings} ${SF_SELECTED}
  ${EndIf}
  Call un.ClientClosed
FunctionEnd
