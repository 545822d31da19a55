"""A TCP port on loopback in front of a server, for tests of what crosses the wire: it passes each
connection through and counts them, and a subclass may answer some connections itself."""
import socket
import threading
import urllib.parse


class Relay:
    def __init__(self, target_url):
        target = urllib.parse.urlsplit(target_url)
        self.target = (target.hostname, target.port)
        self.accepted = 0
        self.listener = socket.create_server(('127.0.0.1', 0))
        self.url = 'http://127.0.0.1:%d' % self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def answer(self, client):
        """Answer this connection here instead of passing it on (return True); passes every one."""
        return False

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.answer(client):
                continue
            upstream = socket.create_connection(self.target)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # Both ways end together; shutdown, not close, as the other direction's thread still reads.
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()
