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

Public Sub ShowHelp(control As IRibbonControl)
    RunPython "import starbook.excel; starbook.excel.show_help()"
End Sub
