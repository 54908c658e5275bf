"""Write an Excel VBA project (xl/vbaProject.bin) from source files, without Excel."""
from .project import VBAModule, build_vba_project, load_module_dir

__all__ = ["VBAModule", "build_vba_project", "load_module_dir"]
