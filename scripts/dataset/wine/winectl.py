"""Drives Wine under our own Xvfb: the prefix, the virtual desktop, launching programs, injecting the enumerator,
keyboard/mouse input (xdotool) and screenshots (ImageMagick import)."""
import json
import os
import subprocess
import tempfile
import time


def winpath(p):
    return 'Z:' + os.path.abspath(p).replace('/', '\\')


class Wine:
    def __init__(self, work, display):
        self.work = work
        self.build = os.path.join(work, 'build')
        self.env = dict(os.environ, WINEPREFIX=os.path.join(work, 'prefix'), WINEARCH='win64', WINEDEBUG='-all',
                        DISPLAY=display, WINEDLLOVERRIDES='mscoree,mshtml=')
        self.procs = []

    def run(self, args, timeout=60, check=True):
        # Output goes to files, not pipes: a Wine helper process started on the way (wineserver, services, the
        # desktop) inherits the handles and would keep a pipe open long after the program itself has exited.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            code = subprocess.run(['wine'] + args, env=self.env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                  timeout=timeout).returncode
            out.seek(0)
            err.seek(0)
            r = subprocess.CompletedProcess(args, code, out.read().decode('utf-8', 'replace'), err.read().decode('utf-8', 'replace'))
        if check and r.returncode != 0:
            raise RuntimeError(f'wine {args[0]}: exit {r.returncode}: {r.stderr.strip()[-300:]}')
        return r

    def restart(self, reg_text):
        """Stops every Wine process of the prefix, writes the scheme, and starts the virtual desktop."""
        self.stop()
        path = os.path.join(self.work, 'scheme.reg')
        with open(path, 'w', encoding='ascii') as f:
            f.write(reg_text)
        self.run(['regedit', '/S', winpath(path)])
        subprocess.run(['wineserver', '-w'], env=self.env, timeout=60)
        self.launch(['build:keeper.exe'])  # keeps the virtual desktop alive between programs
        if self.enumerate('class:RpaKeeper', os.path.join(self.work, 'desktop.jsonl'), timeout=90)[0] is None:
            raise RuntimeError('the Wine desktop did not start')

    def stop(self):
        subprocess.run(['wineserver', '-k'], env=self.env, capture_output=True)
        subprocess.run(['wineserver', '-w'], env=self.env, capture_output=True, timeout=60)
        for p in self.procs:
            p.poll() is None and p.kill()
        self.procs = []

    def launch(self, args):
        exe = args[0]
        if exe.startswith('build:'):
            exe = winpath(os.path.join(self.build, exe[len('build:'):]))
        # started in C:\windows so file views show the prefix, not this machine's folders
        p = subprocess.Popen(['wine', exe] + args[1:], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             cwd=os.path.join(self.env['WINEPREFIX'], 'drive_c', 'windows'))
        self.procs.append(p)
        return p

    def enumerate(self, target, out_path, timeout=40):
        """Injects wineenum.dll into the process owning the target window; returns (pid, records) or (None, None)."""
        dll = winpath(os.path.join(self.build, 'wineenum.dll'))
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.run([winpath(os.path.join(self.build, 'wineinject.exe')), dll, target, winpath(out_path)], timeout=60, check=False)
            if r.returncode == 0 and os.path.exists(out_path):
                with open(out_path, encoding='utf-8') as f:
                    return int(r.stdout.strip().splitlines()[-1]), [json.loads(line) for line in f if line.strip()]
            time.sleep(1)
        return None, None

    def kill(self, pid):
        self.run(['taskkill', '/F', '/PID', str(pid)], check=False, timeout=30)

    def xdo(self, *args):
        subprocess.run(['xdotool'] + [str(a) for a in args], env=self.env, check=True, timeout=20)

    def key(self, keys):
        self.xdo('mousemove', 1900, 1000)  # keep the pointer off the window so no hover highlight is captured
        for k in keys.split():
            self.xdo('key', '--clearmodifiers', k)
            time.sleep(0.25)

    def type(self, text):
        self.xdo('type', '--delay', 30, text)

    def click(self, x, y, double=False):
        self.xdo('mousemove', int(x), int(y))
        self.xdo('click', '--repeat', 2 if double else 1, 1)
        time.sleep(0.2)
        self.xdo('mousemove', 1900, 1000)

    def screenshot(self, path):
        subprocess.run(['import', '-window', 'root', path], env=self.env, check=True, timeout=30)
