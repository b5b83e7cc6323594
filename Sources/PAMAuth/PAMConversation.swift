import CPAM
import Glibc

/// A heap copy of a secret as a C string, wiped before it is freed.
///
/// The caller's `String` cannot be wiped, but the copies handed to PAM can: this one is read
/// through `appdata_ptr` for the lifetime of the transaction and zeroed when it ends.
struct SecretCString: ~Copyable {
    private let pointer: UnsafeMutablePointer<CChar>

    init?(_ secret: String) {
        guard let copy = strdup(secret) else {
            return nil
        }
        self.pointer = copy
    }

    /// Lends the C string for the duration of `body`; the copy stays alive until it returns.
    borrowing func withCString<Result>(_ body: (UnsafeMutablePointer<CChar>) -> Result) -> Result {
        body(pointer)
    }

    deinit {
        wipeAndFree(pointer)
    }
}

/// The PAM conversation for a non-interactive sign-in: every hidden prompt is answered with
/// the password found at `appData`, informational messages are acknowledged, and anything
/// else fails the conversation.
///
/// It must not capture anything, because PAM calls it through a plain C function pointer.
/// Echoed prompts are refused rather than answered: a module asking for visible input wants
/// something other than the password (a username, a one-time code), and guessing would send
/// the password where it does not belong.
func answerPasswordPrompts(
    _ count: Int32,
    _ messages: UnsafeMutablePointer<UnsafePointer<pam_message>?>?,
    _ replies: UnsafeMutablePointer<UnsafeMutablePointer<pam_response>?>?,
    _ appData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let messages, let replies, let appData, count > 0, count <= PAM_MAX_NUM_MSG else {
        return PAM_CONV_ERR
    }
    let password = appData.assumingMemoryBound(to: CChar.self)
    let total = Int(count)
    // PAM frees the array and every `resp` with free(), so both must come from malloc.
    guard let raw = calloc(total, MemoryLayout<pam_response>.stride) else {
        return PAM_BUF_ERR
    }
    let answers = raw.bindMemory(to: pam_response.self, capacity: total)

    for index in 0..<total {
        guard let message = messages[index] else {
            discardAnswers(answers, count: total)
            return PAM_CONV_ERR
        }
        switch message.pointee.msg_style {
        case PAM_PROMPT_ECHO_OFF:
            guard let copy = strdup(password) else {
                discardAnswers(answers, count: total)
                return PAM_BUF_ERR
            }
            answers[index].resp = copy
        case PAM_ERROR_MSG, PAM_TEXT_INFO:
            continue
        default:
            discardAnswers(answers, count: total)
            return PAM_CONV_ERR
        }
    }
    replies.pointee = answers
    return PAM_SUCCESS
}

/// Frees answers that PAM will never see, wiping the password copies first.
private func discardAnswers(_ answers: UnsafeMutablePointer<pam_response>, count: Int) {
    for index in 0..<count {
        if let response = answers[index].resp {
            wipeAndFree(response)
        }
    }
    free(answers)
}

private func wipeAndFree(_ secret: UnsafeMutablePointer<CChar>) {
    // explicit_bzero, unlike memset, cannot be dropped by the optimiser as a dead store.
    explicit_bzero(secret, strlen(secret))
    free(secret)
}
