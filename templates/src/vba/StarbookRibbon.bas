Attribute VB_Name = "StarbookRibbon"
Option Explicit

' Callbacks of the ribbon tab in customUI/customUI.xml. Each hands the work to
' Python through xlwings' RunPython; Python shows every message to the cadre
' (in Chinese), so this module stays ASCII: VBA source is stored in a code page.

Private starbookRibbonUI As IRibbonUI

Public Sub OnRibbonLoad(ribbon As IRibbonUI)
    Set starbookRibbonUI = ribbon
End Sub

Public Sub RateBook(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.rate()"
End Sub

Public Sub CheckBook(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.check()"
End Sub

Public Sub AddForm(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.add_form()"
End Sub

Public Sub ImportBallots(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.import_ballots()"
End Sub

Public Sub MakeForms(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.make_forms()"
End Sub

Public Sub ImportItems(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.import_items()"
End Sub

Public Sub DistributeForms(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.distribute()"
End Sub

Public Sub NewYear(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.new_year()"
End Sub

Public Sub CollectBooks(control As IRibbonControl)
    ' Ask for the folder here (Office's own picker); Python reads the files from disk.
    Dim picker As Object
    Set picker = Application.FileDialog(4) ' msoFileDialogFolderPicker
    If picker.Show <> -1 Then Exit Sub
    RunPython "import starbook.excel; starbook.excel.collect(folder_hex='" & HexText(picker.SelectedItems(1)) & "')"
End Sub

' A folder name as hex UTF-16 code units: any Chinese name passes through ASCII source intact.
Private Function HexText(ByVal s As String) As String
    Dim i As Long
    Dim out As String
    For i = 1 To Len(s)
        out = out & Right$("000" & Hex$(AscW(Mid$(s, i, 1)) And &HFFFF&), 4)
    Next i
    HexText = out
End Function

Public Sub ShowHelp(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.show_help()"
End Sub
