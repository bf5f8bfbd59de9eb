"""Jobs: every command as a library call that writes its run folder the same way (`jobs.folder`) and its report."""
